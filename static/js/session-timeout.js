// The idle sign-out warning. The server signs a session out after data-idle-seconds (on <body>) without a
// page load or form post (core/sessions.py; htmx polling does not count, so this page's own polls do not
// either). A minute before (half the limit, if that is shorter), a warning offers "Stay signed in", which
// tells the server the user is still here. At the limit the page reloads: the server then shows the
// sign-in page, so a screen left open stops showing patient data.
(() => {
  const body = document.body;
  const idleSeconds = Number(body.dataset.idleSeconds);
  const keepAliveUrl = body.dataset.keepAliveUrl;
  if (!idleSeconds || !keepAliveUrl) {
    return;
  }
  const leadSeconds = Math.min(60, idleSeconds / 2);
  let warnTimer;
  let endTimer;
  let warning;

  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function buildWarning() {
    const box = document.createElement("div");
    box.className = "alert alert-warning shadow position-fixed bottom-0 end-0 m-3 z-3 d-none";
    box.setAttribute("role", "alert");
    box.dataset.testid = "session-timeout-warning";
    const text = document.createElement("p");
    text.className = "mb-2";
    text.textContent = "You will be signed out soon because this page has been idle.";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-primary btn-sm";
    button.textContent = "Stay signed in";
    button.addEventListener("click", stayHere);
    box.append(text, button);
    body.append(box);
    return box;
  }

  function showWarning() {
    warning = warning || buildWarning();
    warning.classList.remove("d-none");
    warning.querySelector("button").focus();
  }

  function hideWarning() {
    if (warning) {
      warning.classList.add("d-none");
    }
  }

  function start() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(showWarning, (idleSeconds - leadSeconds) * 1000);
    // a second late, so the server has surely passed its limit too
    endTimer = setTimeout(() => window.location.reload(), (idleSeconds + 1) * 1000);
  }

  async function stayHere() {
    try {
      const response = await fetch(keepAliveUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
        redirect: "manual",
      });
      if (response.status === 204) {
        hideWarning();
        start();
        return;
      }
    } catch (error) {
      // the network is down: the reload below shows whatever the server says
    }
    window.location.reload();
  }

  start();
})();
