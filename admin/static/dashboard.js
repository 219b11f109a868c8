// /admin: the model test panel, and the call tables kept current.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const api = Pete.pageData().api;
  const modelSelect = document.getElementById("test-model");

  Pete.chatForm({
    form: document.getElementById("test-form"),
    textarea: document.getElementById("test-message"),
    list: document.getElementById("test-output"),
    sendButton: document.getElementById("test-send"),
    stopButton: document.getElementById("test-stop"),
    endpoint: `${api}/test`,
    apiBase: api,
    body: () => ({ model: modelSelect.value }), // each test is a new conversation
  });

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text ?? "";
    return td;
  }

  function callLink(id) {
    const td = document.createElement("td");
    const a = document.createElement("a");
    a.href = `/admin/calls/${encodeURIComponent(id)}`;
    a.textContent = id;
    td.appendChild(a);
    return td;
  }

  function fill(tbody, rows, columns, emptyText) {
    if (!rows.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell(emptyText);
      td.colSpan = columns.length + 1;
      tr.appendChild(td);
      tbody.replaceChildren(tr);
      return;
    }
    tbody.replaceChildren(
      ...rows.map((row) => {
        const tr = document.createElement("tr");
        tr.append(callLink(row.id), ...columns.map((column) => cell(column(row))));
        return tr;
      })
    );
  }

  const liveBody = document.querySelector("#live-calls tbody");
  const recentBody = document.querySelector("#recent-calls tbody");
  const liveCount = document.getElementById("live-count");

  async function refreshLive() {
    try {
      const { calls } = await Pete.api(`${api}/calls/live`);
      fill(liveBody, calls, [(c) => c.channel, (c) => c.turns, (c) => c.last_activity_at, (c) => c.model, (c) => c.last_user_text], "No call in progress.");
      liveCount.textContent = `${calls.length} now`;
    } catch (err) {
      liveCount.textContent = `could not refresh: ${err.message}`;
    }
  }

  async function refreshRecent() {
    try {
      const { calls } = await Pete.api(`${api}/calls?limit=30`);
      fill(recentBody, calls, [(c) => c.channel, (c) => c.status, (c) => c.started_at, (c) => c.turns, (c) => c.interruptions || 0, (c) => c.errors || 0], "No calls yet.");
    } catch (err) {
      // keep what is shown; the next refresh retries
    }
  }

  setInterval(refreshLive, 2000);
  setInterval(refreshRecent, 10000);
});
