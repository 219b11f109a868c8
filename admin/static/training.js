// /admin/training: promote and roll back at once; train, import and replay as jobs whose
// progress is polled every second while one runs.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const data = Pete.pageData();
  const api = data.api;
  const status = document.getElementById("training-status");
  const jobsList = document.getElementById("jobs");
  const FLASH = "pete-training-status";
  let polling = null;

  function show(message, ok) {
    status.textContent = message;
    status.classList.toggle("good", ok);
    status.classList.toggle("bad", !ok);
  }

  const flash = sessionStorage.getItem(FLASH);
  if (flash) {
    show(flash, true);
    sessionStorage.removeItem(FLASH);
  }

  function reloadWith(message) {
    sessionStorage.setItem(FLASH, message);
    location.reload();
  }

  async function changeDefault(action, version) {
    const body = { version: version || null, force: document.getElementById("force-promote").checked };
    try {
      const result = await Pete.api(`${api}/${action}`, { method: "POST", body });
      const what = result.action === "promote" ? "Promoted" : "Rolled back to";
      reloadWith(`${what} ${result.version || result.model_name}; calls use it from their next turn.`);
    } catch (err) {
      show(`Not changed: ${err.message}`, false);
    }
  }

  document.querySelectorAll("button.promote").forEach((button) =>
    button.addEventListener("click", () => changeDefault("promote", button.dataset.version)));
  document.querySelectorAll("button.rollback-to").forEach((button) =>
    button.addEventListener("click", () => changeDefault("rollback", button.dataset.version)));
  document.getElementById("rollback-previous").addEventListener("click", () => changeDefault("rollback", null));

  function describe(job) {
    const result = job.result || {};
    if (job.status === "failed" || job.status === "cancelled") return job.error || job.status;
    if (job.status !== "finished") return `${job.stage}${job.total ? ` ${job.done}/${job.total}` : ""}`;
    if (job.kind === "train") {
      return result.status === "unchanged"
        ? `Nothing changed: ${result.version} stays.`
        : `Created ${result.version} (${result.bump}: ${result.reason})${result.promotion ? ", now the default" : ""}.`;
    }
    if (job.kind === "import") {
      return `${result.conversations_added} new conversations, ${result.already_imported} already imported, ${(result.problems || []).length} bad rows skipped.`;
    }
    return `${result.summary ? result.summary.turns : 0} turns replayed.`;
  }

  function render(jobs) {
    jobsList.replaceChildren();
    if (!jobs.length) {
      const empty = document.createElement("li");
      empty.textContent = "No job yet.";
      jobsList.appendChild(empty);
    }
    for (const job of jobs) {
      const item = document.createElement("li");
      item.className = `job job-${job.status}`;
      item.dataset.job = job.id;
      const title = document.createElement("p");
      title.className = "who";
      title.textContent = `${job.label} · ${job.status}`;
      item.appendChild(title);
      if (job.status === "running") {
        const bar = document.createElement("progress");
        bar.max = job.total || 1;
        if (job.total) bar.value = job.done;
        bar.setAttribute("aria-label", `${job.label} progress`);
        item.appendChild(bar);
        const cancel = document.createElement("button");
        cancel.type = "button";
        cancel.className = "danger";
        cancel.textContent = "Cancel";
        cancel.addEventListener("click", async () => {
          try {
            await Pete.api(`${api}/jobs/${job.id}/cancel`, { method: "POST" });
          } catch (err) {
            show(`Not cancelled: ${err.message}`, false);
          }
        });
        item.appendChild(cancel);
      }
      const line = document.createElement("p");
      line.className = "job-detail";
      line.textContent = describe(job);
      item.appendChild(line);
      if (job.status === "finished" && job.kind === "replay" && job.result) {
        const link = document.createElement("a");
        link.href = `/admin/training/replays/${job.result.id}`;
        link.textContent = "See the replay turn by turn";
        item.appendChild(link);
      }
      jobsList.appendChild(item);
    }
  }

  async function poll() {
    try {
      const { jobs } = await Pete.api(`${api}/jobs`);
      const wasRunning = polling !== null;
      render(jobs);
      const running = jobs.some((job) => job.status === "running");
      if (running && polling === null) polling = setInterval(poll, 1000);
      if (!running && polling !== null) {
        clearInterval(polling);
        polling = null;
        if (wasRunning) show("The job ended; reload the page to see new versions and replays.", true);
      }
    } catch (err) {
      show(`Could not read the jobs: ${err.message}`, false);
    }
  }

  async function startJob(path, body) {
    try {
      await Pete.api(`${api}/${path}`, { method: "POST", body });
      show("Started.", true);
      poll();
    } catch (err) {
      show(`Not started: ${err.message}`, false);
    }
  }

  const selected = (select) => [...select.selectedOptions].map((option) => option.value);
  const number = (input) => (input.value === "" ? null : Number(input.value));

  document.getElementById("train-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    startJob("train", {
      evaluate: form.elements.evaluate.checked,
      promote: form.elements.promote.checked,
      force: document.getElementById("force-promote").checked,
      major: form.elements.major.checked,
      reason: form.elements.reason.value.trim() || null,
      eval_limit: number(form.elements.eval_limit),
      min_score: number(form.elements.min_score),
      categories: selected(form.elements.categories),
      sources: selected(form.elements.sources),
      since: form.elements.since.value || null,
      until: form.elements.until.value || null,
    });
  });

  async function upload(formData) {
    try {
      const response = await fetch(`${api}/import`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content },
        body: formData,
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(answer?.error?.message || `request failed (${response.status})`);
      show("Import started.", true);
      poll();
    } catch (err) {
      show(`Not imported: ${err.message}`, false);
    }
  }

  const importForm = document.getElementById("import-form");
  importForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = importForm.elements.file.files[0];
    if (!file) {
      show("Choose a file to import.", false);
      return;
    }
    const formData = new FormData();
    formData.append("file", file);
    formData.append("second_opinion", importForm.elements.second_opinion.checked ? "1" : "0");
    upload(formData);
  });
  document.getElementById("import-logged").addEventListener("click", () => {
    const formData = new FormData();
    formData.append("logged_calls", "1");
    formData.append("second_opinion", importForm.elements.second_opinion.checked ? "1" : "0");
    upload(formData);
  });

  document.getElementById("replay-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    startJob("replay", {
      calls: form.elements.calls.value.trim(),
      model: form.elements.model.value,
      similarity: form.elements.similarity.checked,
    });
  });

  render(data.jobs || []);
  if ((data.jobs || []).some((job) => job.status === "running")) poll();
});
