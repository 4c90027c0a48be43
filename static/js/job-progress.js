// The job page: while the job is queued or running, ask for its state every
// two seconds and show it; once it has finished, load the page again, which
// then shows the result. Same origin only, no outside script (intranets).
(function () {
  var box = document.querySelector("[data-job-status-url]");
  if (!box || box.getAttribute("data-job-active") !== "true") {
    return;
  }
  var url = box.getAttribute("data-job-status-url");

  function show(name, text) {
    box.querySelectorAll('[data-job="' + name + '"]').forEach(function (node) {
      node.textContent = text;
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (state) {
        if (!state.active) {
          window.location.reload();
          return;
        }
        show("status_label", state.status_label);
        show("phase_label", state.phase_label);
        show("progress", state.done + " / " + state.total);
        show("heartbeat_label", state.heartbeat_label);
        show("attempts", state.attempts);
        show("message", state.message);
        box.querySelector('[data-job="message"]').hidden = !state.message;
        var bar = box.querySelector("progress");
        bar.max = state.total || 1;
        bar.value = state.done;
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        window.setTimeout(poll, 5000); // the server restarting, a dropped connection
      });
  }

  window.setTimeout(poll, 2000);
})();
