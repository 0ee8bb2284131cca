/* bastion UI helpers shared by the playground and the dashboard. No dependencies; every
   request goes to this server (the page's Content-Security-Policy allows nothing else). */
"use strict";
(function () {
  const KEY = "bastion.apiKey";
  const TIMEOUT_MS = 60000;
  const rootMeta = document.querySelector('meta[name="bastion-root"]');
  const root = new URL(rootMeta ? rootMeta.content : "./", location.href);

  function $(sel) { return document.querySelector(sel); }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "tabindex" || k === "title" || k === "scope") node.setAttribute(k, String(v));
      else node[k] = v;
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  // the key lives in sessionStorage: gone when the tab closes, never in a cookie or the URL
  function getKey() { try { return sessionStorage.getItem(KEY) || ""; } catch (e) { return ""; } }
  function setKey(v) { try { v ? sessionStorage.setItem(KEY, v) : sessionStorage.removeItem(KEY); } catch (e) { /* storage off */ } }

  function bindKeyInput(input, forget) {
    input.value = getKey();
    input.addEventListener("input", () => setKey(input.value.trim()));
    if (forget) forget.addEventListener("click", () => { input.value = ""; setKey(""); input.focus(); });
  }

  const HINTS = {
    400: "The server could not read the request",
    401: "The API key is missing or unknown: paste a key from `bastion keys create`",
    403: "This API key has been revoked",
    404: "Not available on this server",
    408: "The request took too long to arrive",
    413: "Too large for this server",
    422: "The server refused the request",
    429: "Too many requests: wait a moment and try again",
    500: "The server failed on this request",
    503: "The server is starting (models still loading): try again shortly",
  };

  /* fetch JSON from this server; resolves to {ok, status, data, message}, never rejects */
  async function api(path, options) {
    const opts = options || {};
    const headers = { "Accept": "application/json" };
    const key = getKey();
    if (key) headers["Authorization"] = "Bearer " + key;
    let body;
    if (opts.json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(opts.json); }
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), opts.timeout || TIMEOUT_MS);
    let resp;
    try {
      resp = await fetch(new URL(path, root), {
        method: opts.method || (body === undefined ? "GET" : "POST"),
        headers, body, signal: ctrl.signal, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
      });
    } catch (e) {
      clearTimeout(timer);
      const why = e && e.name === "AbortError" ? "no answer within " + (opts.timeout || TIMEOUT_MS) / 1000 + " s" : "the server cannot be reached";
      return { ok: false, status: 0, data: null, message: "Request failed: " + why + "." };
    }
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; } finally { clearTimeout(timer); }
    if (resp.ok && data !== null) return { ok: true, status: resp.status, data, message: "" };
    const detail = data && typeof data.detail === "string" ? data.detail : "";
    const hint = HINTS[resp.status] || "Unexpected answer from the server";
    const message = resp.ok ? "The server's answer was not JSON." : hint + " (HTTP " + resp.status + ")" + (detail ? ": " + detail : ".");
    return { ok: false, status: resp.status, data, message };
  }

  function showError(msg) {
    const box = $("#error");
    if (!box) return;
    box.textContent = msg || "";
    if (msg) box.scrollIntoView({ block: "nearest" });
  }

  // whatever goes wrong in a script, the page says so instead of going blank
  window.addEventListener("error", (ev) => showError("Something went wrong in this page: " + (ev.message || "unknown error")));
  window.addEventListener("unhandledrejection", (ev) => showError("Something went wrong in this page: " + ((ev.reason && ev.reason.message) || ev.reason)));

  // Format characters (bidi overrides, zero-width) shown as visible markers in what a reviewer
  // reads: a U+202E once displayed a highlighted address reversed. The playground applies it
  // per segment, after the code-point offsets have been cut, so highlighting stays where the
  // server put it. With `controls`, control characters too (the dashboard's store labels,
  // where a line break or a bell is never meant as layout).
  const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;
  const INVISIBLE_OR_CONTROL = /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;
  function visible(seg, controls) {
    return String(seg).replace(controls ? INVISIBLE_OR_CONTROL : INVISIBLE,
      (c) => "\u27E8U+" + c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0") + "\u27E9");
  }

  function fmtBytes(n) {
    if (n >= 1048576) return (n / 1048576).toFixed(1) + " MiB";
    if (n >= 1024) return (n / 1024).toFixed(0) + " KiB";
    return n + " bytes";
  }

  window.bastion = { $, el, api, getKey, setKey, bindKeyInput, showError, fmtBytes, visible, root };
})();
