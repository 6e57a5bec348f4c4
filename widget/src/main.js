// The embeddable visitor widget (docs/widget.md): one script tag on the bank's page,
// namespace /visitor of docs/protocol.md. Settings come from the tag's data attributes.
import { io } from "socket.io-client";
import "./widget.css";
import { startWidget } from "./widget.js";

function ownScript() {
  return (
    document.currentScript ||
    document.querySelector('script[src*="enclave-widget"][data-server]') ||
    document.querySelector('script[src*="enclave-widget"]')
  );
}

function settingsFrom(script) {
  const src = new URL(script.src, document.baseURI);
  const data = script.dataset;
  // data-server is the appliance's origin; by default the one the script came from.
  const server = (data.server || src.origin).replace(/\/+$/, "");
  return {
    server,
    stylesheet: new URL("enclave-widget.css", src).href,
    language: data.language || document.documentElement.lang || navigator.language,
    customerToken: data.customerToken || null,
    group: /^[a-z0-9._-]{1,64}$/.test(data.group || "") ? data.group : null,
    // data-topics narrows (and orders) the appliance's pre-chat topics on this page.
    topics: (data.topics || "").split(",").map((name) => name.trim()).filter(Boolean),
    color: /^#[0-9a-fA-F]{3,8}$/.test(data.color || "") ? data.color : null,
  };
}

const script = ownScript();
if (script && !window.__enclaveWidget) {
  window.__enclaveWidget = true;
  const settings = settingsFrom(script);
  const mount = () => startWidget(settings, io);
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
}
