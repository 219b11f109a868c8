// Shared by the admin pages: JSON calls with the CSRF token, streamed replies, score polling.
"use strict";

const Pete = (() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  class ApiError extends Error {
    constructor(status, body) {
      super(body?.error?.message || `request failed (${status})`);
      this.status = status;
      this.code = body?.error?.code;
    }
  }

  async function api(path, { method = "GET", body } = {}) {
    const response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  function pageData() {
    const node = document.getElementById("page-data");
    return node ? JSON.parse(node.textContent) : {};
  }

  // POST and read NDJSON lines as they arrive: {type: start|token|done|error, ...}.
  async function streamTurn(path, body, handlers, signal) {
    const response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body),
      signal,
    });
    if (!response.ok) {
      throw new ApiError(response.status, await response.json().catch(() => ({})));
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (!line) continue;
        const message = JSON.parse(line);
        handlers[message.type]?.(message);
      }
    }
  }

  const fmt = (value, digits = 0) => (value === null || value === undefined ? "n/a" : Number(value).toFixed(digits));

  function violationLabel(v) {
    if (v && typeof v === "object") return v.code && v.message ? `${v.code}: ${v.message}` : JSON.stringify(v);
    return String(v);
  }

  // One reply bubble, filled as tokens arrive; then timing; then checks once scored.
  function replyCard(list) {
    const node = document.getElementById("reply-template").content.firstElementChild.cloneNode(true);
    node.setAttribute("aria-busy", "true"); // read out once complete, not token by token
    list.appendChild(node);
    const text = node.querySelector(".reply-text");
    const meta = node.querySelector(".reply-meta");
    const checks = node.querySelector(".reply-checks");
    let stopPolling = false;
    node.scrollIntoView({ block: "nearest" });
    return {
      node,
      start(m) {
        node.querySelector(".reply-model").textContent = m.model + (m.model_version ? ` · ${m.model_version}` : "");
        node.dataset.turnUid = m.turn_uid;
        meta.textContent = `First token after ${fmt(m.ttft_ms)} ms…`;
      },
      append(piece) {
        text.textContent += piece;
      },
      get finished() {
        return node.getAttribute("aria-busy") === "false";
      },
      done(m, apiBase) {
        node.setAttribute("aria-busy", "false");
        meta.textContent =
          `Time to first token ${fmt(m.ttft_ms)} ms · ${fmt(m.tokens_per_s, 1)} tokens/s · ` +
          `${m.tokens} tokens in ${fmt(m.total_ms)} ms · finished: ${m.finish_reason || "stop"}`;
        node.dataset.done = "1";
        checks.textContent = "Checks and Jamie score: pending…";
        pollScore(apiBase, m.turn_uid, checks, () => stopPolling);
      },
      fail(message) {
        node.setAttribute("aria-busy", "false");
        meta.textContent = `Error: ${message}`;
        meta.classList.add("error");
      },
      stopped() {
        node.setAttribute("aria-busy", "false");
        meta.textContent = "Stopped: the reply was cut here and stored as interrupted.";
        stopPolling = true;
      },
    };
  }

  async function pollScore(apiBase, uid, node, cancelled) {
    const deadline = Date.now() + 120000;
    while (Date.now() < deadline && !cancelled()) {
      try {
        const score = await api(`${apiBase}/turns/${uid}/score`);
        if (score.status === "ready") {
          const failed = score.violations.map(violationLabel).join("; ");
          node.textContent =
            (score.passed ? "Checks passed" : `Checks failed: ${failed}`) +
            ` · Jamie score ${fmt(score.jamie_score, 0)}/100` +
            (score.similarity === null ? "" : ` · similarity ${fmt(score.similarity, 2)}`);
          node.classList.add(score.passed ? "passed" : "failed");
          return;
        }
      } catch (err) {
        node.textContent = `Checks: ${err.message}`;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    if (!cancelled()) node.textContent = "Checks and Jamie score: still pending (is the scoring worker running?)";
  }

  function userBubble(list, text) {
    const li = document.createElement("li");
    li.className = "msg msg-user";
    const who = document.createElement("p");
    who.className = "who";
    who.textContent = "You (as the tenant)";
    const body = document.createElement("p");
    body.textContent = text;
    li.append(who, body);
    list.appendChild(li);
  }

  // Drive a chat form: Enter sends, Escape stops, Stop aborts the stream (the turn is cut).
  function chatForm({ form, textarea, sendButton, stopButton, list, endpoint, apiBase, body, onStart }) {
    let controller = null;
    const busy = (on) => {
      sendButton.disabled = on;
      stopButton.disabled = !on;
    };
    async function send() {
      const text = textarea.value.trim();
      if (!text || controller) return;
      userBubble(list, text);
      textarea.value = "";
      const reply = replyCard(list);
      controller = new AbortController();
      busy(true);
      try {
        await streamTurn(endpoint, { message: text, ...body() }, {
          start: (m) => { onStart?.(m); reply.start(m); },
          token: (m) => reply.append(m.text),
          done: (m) => reply.done(m, apiBase),
          error: (m) => reply.fail(m.message),
        }, controller.signal);
        if (!reply.finished) reply.fail("the reply ended before it was complete");
      } catch (err) {
        if (err.name === "AbortError") reply.stopped();
        else reply.fail(err.message);
      } finally {
        controller = null;
        busy(false);
        textarea.focus();
      }
    }
    form.addEventListener("submit", (event) => { event.preventDefault(); send(); });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(); }
      if (event.key === "Escape") controller?.abort();
    });
    stopButton.addEventListener("click", () => controller?.abort());
  }

  return { api, pageData, streamTurn, replyCard, chatForm, fmt, ApiError };
})();
