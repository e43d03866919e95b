// The rule editor works without JavaScript; this only helps. A structural button (Apply, Add condition,
// Remove this condition) brings the page back scrolled to its condition, and a kind or answer chosen but
// not yet applied marks its Apply button. Nothing is submitted on a mere change (keyboard users move
// through a select's options one change at a time).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[name=structure][data-anchor]");
  if (button && button.form) {
    button.form.action = `${window.location.pathname}${window.location.search}#${button.dataset.anchor}`;
  }
});
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-apply]");
  const button = select && document.getElementById(select.dataset.apply);
  if (button) {
    button.classList.replace("btn-outline-secondary", "btn-primary");
    button.classList.add("btn-apply-pending");
  }
});
