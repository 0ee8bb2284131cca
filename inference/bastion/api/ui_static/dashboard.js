/* bastion dashboard: reads GET /ui/api/dashboard (bearer auth) and shows the privacy
   store's counts for a period. Charts are SVG drawn by the server from numbers only; they
   are parsed as XML and imported, never run as HTML. */
"use strict";
(function () {
  const { $, el, api, getKey, bindKeyInput, showError, visible } = window.bastion;
  let seq = 0;
  let asked = 0; // dashboard requests sent; only the newest may draw

  function fmt(n) { return Number(n).toLocaleString("en"); }

  function toUtc(localValue) {
    // datetime-local has no zone; the page labels it UTC and sends it as such
    return localValue ? localValue + (localValue.length === 16 ? ":00" : "") + "Z" : "";
  }

  function query() {
    const p = $("#period").value;
    if (p !== "custom") return "ui/api/dashboard?period=" + encodeURIComponent(p);
    const since = toUtc($("#since").value), until = toUtc($("#until").value);
    if (!since) throw new Error("Choose the start of the custom period.");
    return "ui/api/dashboard?since=" + encodeURIComponent(since) + (until ? "&until=" + encodeURIComponent(until) : "");
  }

  function chart(id, svgText) {
    const box = $(id);
    box.replaceChildren();
    const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
    const svg = doc.documentElement;
    if (!svg || svg.nodeName !== "svg" || doc.getElementsByTagName("parsererror").length) {
      box.append(el("p", { class: "muted", text: "chart unavailable" }));
      return;
    }
    box.append(document.importNode(svg, true));
  }

  function rows(tableId, entries) {
    const tbody = document.querySelector(tableId + " tbody");
    tbody.replaceChildren();
    if (!entries.length) { tbody.append(el("tr", {}, el("td", { class: "muted", text: "none in this period", colSpan: 3 }))); return; }
    for (const cells of entries) {
      const tr = el("tr", { "data-key": cells[0] });
      // names come from the store as written: a U+202E once turned a row around
      cells.forEach((c, i) => tr.append(el("td", { class: i ? "n" : "", text: i ? fmt(c) : visible(c, true) })));
      tbody.append(tr);
    }
  }

  function render(d) {
    $("#since-out").textContent = d.since.replace("T", " ").replace("Z", "");
    $("#until-out").textContent = d.until.replace("T", " ").replace("Z", "");
    $("#n-checks").textContent = fmt(d.checks);
    $("#n-blocks").textContent = fmt(d.blocks);
    $("#n-redact").textContent = fmt(d.by_action.redact || 0);
    $("#n-allow").textContent = fmt(d.by_action.allow || 0);
    $("#n-total").textContent = fmt(d.stats.total);
    const chain = $("#chain"), v = d.verify;
    chain.className = "v " + (v.ok === true ? "ok" : v.ok === false ? "bad" : "");
    chain.dataset.ok = String(v.ok);
    chain.textContent = v.ok === true ? "intact" : v.ok === false ? "BROKEN" : "not checked";
    $("#chain-detail").textContent = v.ok === true
      ? "Audit chain verified: " + fmt(v.checked) + " rows checked" + (v.head_id ? ", newest row " + v.head_id : "") + "."
      : v.ok === false
        ? "Audit chain check failed" + (v.first_bad_id ? " at row " + v.first_bad_id : "") + ": " + v.reason
        : (v.reason || "The chain was not checked.");
    const tr = $("#truncated");
    tr.hidden = !d.truncated;
    tr.textContent = d.truncated ? "This period holds more events than the dashboard reads at once: action, label and score counts cover the first " + fmt(d.events_walked) + " events (totals are complete)." : "";
    chart("#chart-series", d.charts.series);
    chart("#chart-actions", d.charts.actions);
    chart("#chart-severity", d.charts.severity);
    chart("#chart-labels", d.charts.labels);
    chart("#chart-scores", d.charts.scores);
    rows("#t-type", Object.entries(d.stats.by_event_type));
    rows("#t-severity", Object.entries(d.stats.by_severity));
    rows("#t-action", Object.entries(d.by_action));
    rows("#t-labels", d.labels.map((l) => [l.label, l.checks, l.findings]));
    rows("#t-scores", d.injection_scores.bins.map((b) => [b.from.toFixed(1) + "\u2013" + b.to.toFixed(1), b.count]));
    $("#board").hidden = false;
    $("#board").dataset.seq = String(++seq);
  }

  async function load(ev) {
    if (ev) ev.preventDefault();
    showError("");
    let path;
    try { path = query(); } catch (e) { showError(e.message); return; }
    $("#refresh").disabled = true;
    $("#status").textContent = "Loading\u2026";
    const mine = ++asked;
    const r = await api(path);
    // a slower answer for a period chosen earlier must not replace the newer one
    if (mine !== asked) return;
    $("#refresh").disabled = false;
    $("#status").textContent = "";
    if (!r.ok) { showError(r.message); $("#board").classList.add("stale"); return; }
    $("#board").classList.remove("stale");
    try { render(r.data); } catch (e) { showError("The dashboard could not be drawn: " + e.message); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    bindKeyInput($("#key"), $("#forget-key"));
    $("#period").addEventListener("change", () => {
      $("#custom").hidden = $("#period").value !== "custom";
      if ($("#period").value !== "custom") load();
    });
    $("#period-form").addEventListener("submit", load);
    api("ui/api/config").then((r) => {
      if (r.ok && !r.data.store) showError("This server has no privacy store, so there is nothing to show: start bastion serve with --audit-store.");
      else if (r.ok && r.data.auth && !getKey()) {
        // as the playground does: a focused, empty key field alone did not say what was missing
        showError("Enter an API key first (create one with `bastion keys create`), then press Show.");
        $("#key").focus();
      }
      else load();
    });
  });
})();
