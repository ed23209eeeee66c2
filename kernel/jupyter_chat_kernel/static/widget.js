// The front end of jupyter_chat_kernel.ChatWidget: a model selector, the messages, an input.
// State lives in the kernel's traits; this view sends {type: "ask" | "stop" | "new" | "models"}
// messages and redraws when the traits change.

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el }) {
  const root = element("div", "jck-chat");
  const header = element("div", "jck-header");
  const title = element("span", "jck-title");
  const select = element("select", "jck-model");
  select.title = "Model";
  const newChat = element("button", "jck-new", "New chat");
  newChat.type = "button";
  header.append(title, select, newChat);

  const list = element("div", "jck-messages");
  list.setAttribute("role", "log");
  list.setAttribute("aria-live", "polite");
  const error = element("div", "jck-error");
  error.setAttribute("role", "alert");

  const form = element("form", "jck-input");
  const input = element("textarea", "jck-prompt");
  input.rows = 2;
  input.placeholder = "Ask something (Enter to send, Shift+Enter for a new line)";
  const send = element("button", "jck-send", "Send");
  send.type = "submit";
  form.append(input, send);
  root.append(header, list, error, form);
  el.append(root);

  function drawModels() {
    const models = model.get("models") || [];
    const current = model.get("model") || "";
    const ids = models.includes(current) || !current ? models : [current, ...models];
    select.replaceChildren(...ids.map((id) => element("option", "", id)));
    ids.forEach((id, index) => (select.options[index].value = id));
    select.value = current;
  }

  function drawMessages() {
    const messages = model.get("messages") || [];
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 24;
    while (list.children.length > messages.length) list.lastChild.remove();
    messages.forEach((message, index) => {
      let node = list.children[index];
      if (!node) {
        node = element("div", "jck-message");
        node.append(element("div", "jck-role"), element("div", "jck-content"));
        list.append(node);
      }
      node.dataset.role = message.role;
      node.dataset.status = message.status || "done";
      const who = message.role === "assistant" ? message.model || "assistant" : message.role;
      node.children[0].textContent = who;
      // A reasoning model says it is thinking until its answer begins; an answer that ended
      // empty says so rather than look like nothing happened.
      let text = message.content;
      if (message.role === "assistant" && !text) {
        if (message.status === "thinking") text = "Thinking…";
        else if (message.status === "done")
          text = message.thought
            ? "(no answer: the model only thought; its thoughts are in the chat)"
            : "(no answer)";
      }
      if (node.children[1].textContent !== text) {
        node.children[1].textContent = text;
      }
    });
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function drawState() {
    const busy = model.get("busy");
    root.classList.toggle("jck-busy", busy);
    send.textContent = busy ? "Stop" : "Send";
    send.classList.toggle("jck-stop", busy);
    newChat.disabled = busy;
    error.textContent = model.get("error") || "";
    error.hidden = !model.get("error");
    title.textContent = model.get("title") || (model.get("chat_id") ? "" : "New chat");
  }

  function submit(event) {
    event.preventDefault();
    if (model.get("busy")) {
      model.send({ type: "stop" });
      return;
    }
    const content = input.value;
    if (!content.trim()) return;
    input.value = "";
    model.send({ type: "ask", content });
  }

  form.addEventListener("submit", submit);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      // Enter only sends: while an answer is written, a question typed meanwhile waits in the
      // box (as in the Chats panel), and only the Stop button stops the answer.
      if (!model.get("busy")) submit(event);
    }
    // Keep JupyterLab's notebook shortcuts out of the text box.
    event.stopPropagation();
  });
  // The list may have changed, or the server been away when the widget was made: opening
  // the picker asks the kernel to read it again.
  select.addEventListener("mousedown", () => model.send({ type: "models" }));
  select.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "Enter" || event.key === " ") {
      model.send({ type: "models" });
    }
  });
  select.addEventListener("change", () => {
    model.set("model", select.value);
    model.save_changes();
  });
  newChat.addEventListener("click", () => model.send({ type: "new" }));

  const handlers = [
    ["change:models change:model", drawModels],
    ["change:messages", drawMessages],
    ["change:busy change:error change:title change:chat_id", drawState],
  ];
  for (const [names, handler] of handlers) model.on(names, handler);
  drawModels();
  drawMessages();
  drawState();
  return () => {
    for (const [names, handler] of handlers) model.off(names, handler);
  };
}

export default { render };
