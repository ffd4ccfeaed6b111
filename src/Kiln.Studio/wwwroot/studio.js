// Kiln Studio's only script: draws the ECharts charts the server described, and keeps live regions fresh.
(() => {
  "use strict";

  const echartsUrl = document.currentScript.dataset.echarts;
  let echartsLoading = null;

  // ECharts is large, so it is fetched only once a page has a chart to draw.
  function loadECharts() {
    echartsLoading ??= new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = echartsUrl;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
    return echartsLoading;
  }

  // Every <div data-chart='{...}'> holds a complete ECharts option object built on the server.
  async function drawCharts(root) {
    const elements = root.querySelectorAll("[data-chart]");
    if (elements.length === 0) return;
    await loadECharts();
    elements.forEach((element) => {
      const chart = echarts.getInstanceByDom(element) || echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(element.dataset.chart), true);
      element.dataset.chartReady = "true";
    });
  }

  window.addEventListener("resize", () => {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach((element) => echarts.getInstanceByDom(element)?.resize());
  });

  async function refreshRegion(region) {
    const response = await fetch(window.location.href, { headers: { "Accept": "text/html" } });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById(region.id);
    const current = document.getElementById(region.id);
    if (fresh && current) {
      if (typeof echarts !== "undefined") {
        current.querySelectorAll("[data-chart]").forEach((element) => echarts.getInstanceByDom(element)?.dispose());
      }
      current.innerHTML = fresh.innerHTML;
      current.dataset.liveUpdates = String(Number(current.dataset.liveUpdates || "0") + 1);
      drawCharts(current);
      current.dispatchEvent(new CustomEvent("studio:region-updated", { bubbles: true }));
      acceptDrops(current);
    }
  }

  // A live region follows /studio/events/{topic}; on each "changed" event the page is fetched again and the region
  // (found by its id) replaced, so the server renders it exactly as on a first load.
  function followLiveRegions() {
    document.querySelectorAll("[data-live-topic]").forEach((region) => {
      const query = new URLSearchParams();
      if (region.dataset.liveKey) query.set("key", region.dataset.liveKey);
      if (region.dataset.liveSince !== undefined) query.set("since", region.dataset.liveSince);
      const events = new EventSource("/studio/events/" + encodeURIComponent(region.dataset.liveTopic) + "?" + query);
      let refreshing = false;
      let changedAgain = false;
      // A change announced while a refresh is in flight may not be in the page being fetched: refresh once more
      // afterwards rather than drop it, or the region could stay one state behind (e.g. "Stopping" for good).
      const refresh = async () => {
        if (refreshing) {
          changedAgain = true;
          return;
        }
        refreshing = true;
        try {
          do {
            changedAgain = false;
            await refreshRegion(region);
          } while (changedAgain);
        } finally {
          refreshing = false;
        }
      };
      events.addEventListener("ready", () => { region.dataset.liveConnected = "true"; });
      events.addEventListener("changed", refresh);
    });
  }

  // A [data-dropzone] label takes a file dropped anywhere on it into its file input.
  function acceptDrops(root) {
    root.querySelectorAll("[data-dropzone]").forEach((zone) => {
      const input = zone.querySelector("input[type=file]");
      zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("dragging"); });
      zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
      zone.addEventListener("drop", (event) => {
        event.preventDefault();
        zone.classList.remove("dragging");
        if (input && event.dataTransfer?.files.length) input.files = event.dataTransfer.files;
      });
    });
  }

  drawCharts(document);
  acceptDrops(document);
  followLiveRegions();
})();
