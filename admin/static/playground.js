// /ui: chat with the default (or a chosen) model; the model list follows settings changes.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const data = Pete.pageData();
  const api = data.api;
  const form = document.getElementById("chat-form");
  const modelSelect = document.getElementById("model");
  const personaSelect = document.getElementById("persona");
  const description = document.getElementById("model-description");
  const list = document.getElementById("conversation");
  const textarea = document.getElementById("message");
  let conversationId = null;
  let choices = data.choices;
  let signature = JSON.stringify(choices);

  function describe() {
    const model = choices.models.find((m) => m.name === modelSelect.value);
    description.textContent = model ? model.description : "";
  }

  function fillModels() {
    const keep = modelSelect.value;
    modelSelect.replaceChildren(
      ...choices.models.map((m) => {
        const option = document.createElement("option");
        option.value = m.name;
        option.textContent = m.display_name + (m.version ? ` · ${m.version}` : "");
        return option;
      })
    );
    const names = choices.models.map((m) => m.name);
    modelSelect.value = names.includes(keep) ? keep : choices.default_model;
    describe();
  }

  async function refreshModels() {
    try {
      const fresh = await Pete.api(`${api}/models`);
      const freshSignature = JSON.stringify(fresh);
      if (freshSignature !== signature) {
        choices = fresh;
        signature = freshSignature;
        fillModels();
      }
    } catch (err) {
      // A failed refresh keeps the list we have; the next one retries.
    }
  }

  modelSelect.addEventListener("change", describe);
  describe();
  setInterval(refreshModels, 2000);
  window.addEventListener("focus", refreshModels);

  Pete.chatForm({
    form,
    textarea,
    list,
    sendButton: document.getElementById("send"),
    stopButton: document.getElementById("stop"),
    endpoint: `${api}/chat`,
    apiBase: api,
    body: () => ({ model: modelSelect.value, persona: personaSelect.value, conversation_id: conversationId }),
    onStart: (m) => { conversationId = m.conversation_id; },
  });
  document.getElementById("new-chat").addEventListener("click", () => {
    conversationId = null;
    list.replaceChildren();
    textarea.focus();
  });
});
