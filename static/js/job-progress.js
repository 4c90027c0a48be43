// A background job's page (score computations, exports): while the job is
// queued or running, ask for its state every data-job-poll-ms milliseconds
// (two seconds unless the page says) and show it in the [data-job=…] elements
// the page has; once it has finished, load the page again, which then shows
// the result. Same origin only, no outside script (intranets).
(function () {
  var box = document.querySelector("[data-job-status-url]");
  if (!box || box.getAttribute("data-job-active") !== "true") {
    return;
  }
  var url = box.getAttribute("data-job-status-url");
  var every = parseInt(box.getAttribute("data-job-poll-ms"), 10) || 2000;
  var shown = ["status_label", "phase_label", "heartbeat_label", "attempts", "message"];

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
        shown.forEach(function (name) {
          if (name in state) {
            show(name, state[name]);
          }
        });
        show("progress", state.done + " / " + state.total);
        box.querySelectorAll('[data-job="message"]').forEach(function (node) {
          node.hidden = !state.message;
        });
        var bar = box.querySelector("progress");
        bar.max = state.total || 1;
        bar.value = state.done;
        window.setTimeout(poll, every);
      })
      .catch(function () {
        window.setTimeout(poll, 5000); // the server restarting, a dropped connection
      });
  }

  window.setTimeout(poll, every);
})();
