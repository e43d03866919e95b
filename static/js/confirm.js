// A button or link with data-confirm asks before it acts: the browser's own dialog, which the keyboard and
// screen readers handle. Listening in the capture phase, a "Cancel" stops the click before the form submits
// and before htmx sees it; "OK" lets it go on as if nothing had asked.
document.addEventListener(
  "click",
  (event) => {
    const control = event.target.closest("[data-confirm]");
    if (control && !window.confirm(control.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);
