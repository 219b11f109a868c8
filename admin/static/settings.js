// /admin/settings: each form sends only the fields it changed, with the value it started from,
// so two admins editing different fields both keep their change and a clash is refused (409).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const settings = Pete.pageData().settings;
  const status = document.getElementById("settings-status");
  const FLASH = "pete-settings-status";

  function show(message, ok) {
    status.textContent = message;
    status.classList.toggle("good", ok);
    status.classList.toggle("bad", !ok);
    if (!ok) status.scrollIntoView({ block: "center" });
  }

  const flash = sessionStorage.getItem(FLASH);
  if (flash) {
    show(flash, true);
    sessionStorage.removeItem(FLASH);
  }

  const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const looseJson = (text) => {
    try { return JSON.parse(text); } catch { return text; }
  };

  async function save(changes, done) {
    if (!changes.length) {
      show("Nothing changed.", true);
      return;
    }
    try {
      const result = await Pete.api("/admin/api/settings", { method: "POST", body: { changes } });
      const preload = Object.entries(result.preload || {}).map(([model, what]) => `${model} ${what}`);
      sessionStorage.setItem(FLASH, done + (preload.length ? ` (${preload.join(", ")})` : ""));
      location.reload();
    } catch (err) {
      const hint = err.status === 409 ? " Reload the page to see the latest settings." : "";
      show(`Not saved: ${err.message}.${hint}`, false);
    }
  }

  document.getElementById("default-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = event.target.querySelector('input[name="default_model"]:checked')?.value;
    const changes = chosen && chosen !== settings.default_model
      ? [{ path: ["default_model"], value: chosen, base: settings.default_model }]
      : [];
    save(changes, `Default model is now ${chosen}.`);
  });

  function modelChanges(form, name) {
    const entry = settings.models[name];
    const path = (...keys) => ["models", name, ...keys];
    const changes = [];
    for (const field of ["display_name", "description", "base_model"]) {
      const value = form.elements[field].value;
      if (value !== entry[field]) changes.push({ path: path(field), value, base: entry[field] });
    }
    const version = form.elements.version.value.trim() || null;
    if (!same(version, entry.version)) changes.push({ path: path("version"), value: version, base: entry.version ?? null });
    for (const field of ["show_in_ui", "auto_preload"]) {
      const value = form.elements[field].checked;
      if (value !== entry[field]) changes.push({ path: path(field), value, base: entry[field] });
    }
    for (const input of form.querySelectorAll("[data-option]")) {
      const key = input.dataset.option;
      const removed = [...form.querySelectorAll("[data-remove-option]")].find((box) => box.dataset.removeOption === key)?.checked;
      if (removed) {
        changes.push({ path: path("options", key), remove: true, base: entry.options[key] });
        continue;
      }
      const value = looseJson(input.value);
      if (!same(value, entry.options[key])) changes.push({ path: path("options", key), value, base: entry.options[key] });
    }
    const newName = form.elements.new_option_name.value.trim();
    if (newName) {
      changes.push({ path: path("options", newName), value: looseJson(form.elements.new_option_value.value), base: entry.options[newName] ?? null });
    }
    for (const input of form.querySelectorAll("[data-extra]")) {
      const key = input.dataset.extra;
      let value;
      try {
        value = JSON.parse(input.value);
      } catch {
        throw new Error(`${key} is not valid JSON`);
      }
      if (!same(value, entry[key])) changes.push({ path: path(key), value, base: entry[key] });
    }
    return changes;
  }

  for (const form of document.querySelectorAll("form.model-form")) {
    const name = form.dataset.model;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      try {
        save(modelChanges(form, name), `Saved ${name}.`);
      } catch (err) {
        show(`Not saved: ${err.message}.`, false);
      }
    });
  }

  for (const button of document.querySelectorAll("button.remove-model")) {
    button.addEventListener("click", () => {
      const name = button.dataset.model;
      if (!window.confirm(`Remove ${name} from the model list? Calls asking for it will get an error.`)) return;
      save([{ path: ["models", name], remove: true }], `Removed ${name}.`);
    });
  }

  document.getElementById("add-model-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    const name = form.elements.name.value.trim();
    if (settings.models[name]) {
      show(`Not added: ${name} is already in the list.`, false);
      return;
    }
    const entry = {
      display_name: form.elements.display_name.value.trim(),
      description: form.elements.description.value.trim(),
      base_model: form.elements.base_model.value.trim(),
      show_in_ui: form.elements.show_in_ui.checked,
      auto_preload: form.elements.auto_preload.checked,
      version: null,
      options: {},
    };
    save([{ path: ["models", name], value: entry, base: null }], `Added ${name}.`);
  });

  async function refreshLoaded() {
    try {
      const { loaded } = await Pete.api("/admin/api/settings/loaded");
      for (const node of document.querySelectorAll("strong.loaded")) {
        const state = loaded[node.dataset.model];
        node.textContent = state === null || state === undefined ? "unknown (the backend did not answer)" : state ? "yes" : "no";
      }
    } catch (err) {
      // keep what is shown
    }
  }
  setInterval(refreshLoaded, 5000);
});
