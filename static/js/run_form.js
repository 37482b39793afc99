// Run form on a model's page: show the chosen workflow's parameters, and ask the server for the
// run-time estimate and queue outlook whenever the workflow or a parameter changes.
(function () {
  "use strict";
  const form = document.getElementById("submit-form");
  if (!form) return;
  const select = document.getElementById("workflow");
  const out = document.getElementById("estimate");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  let timer = null;
  let asked = 0;

  function fieldset() {
    return form.querySelector(`fieldset.params[data-workflow="${select.value}"]`);
  }

  function showWorkflow() {
    form.querySelectorAll("fieldset.params").forEach((f) => { f.hidden = f.dataset.workflow !== select.value; });
  }

  async function estimate() {
    const params = {};
    const set = fieldset();
    if (set) set.querySelectorAll("[data-key]").forEach((input) => {
      if (input.value !== "") params[input.dataset.key] = input.value;
    });
    const mine = ++asked;
    out.textContent = "Estimating the run time…";
    let response;
    try {
      response = await fetch(form.dataset.estimateUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify({ model: Number(form.dataset.model), workflow: select.value, params }),
      });
    } catch (error) {
      if (mine === asked) out.textContent = "No estimate: the server could not be reached.";
      return;
    }
    const body = await response.json();
    if (mine !== asked) return; // a newer question is on its way
    out.dataset.seconds = response.ok ? body.estimate.seconds : "";
    out.className = response.ok ? "muted" : "error";
    out.textContent = response.ok ? `Estimated run time: ${body.text}.` : `Not possible as it stands: ${body.detail}`;
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(estimate, 300);
  }

  select.addEventListener("change", () => { showWorkflow(); later(); });
  form.addEventListener("input", (event) => { if (event.target !== select) later(); });
  form.addEventListener("change", (event) => { if (event.target !== select) later(); });
  showWorkflow();
  estimate();
})();
