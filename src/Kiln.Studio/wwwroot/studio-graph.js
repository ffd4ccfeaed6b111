// Step graphs: every <div data-graph='[...]'> holds Cytoscape.js elements built on the server (one node per step with
// its status, one edge per dependency); dagre lays them out left to right. Redrawn when a live region is refreshed.
(() => {
  "use strict";

  const colours = {
    Succeeded: "#1b6e2f", CacheHit: "#2f6f8f", Executing: "#8a4b00", Starting: "#8a4b00", Stopping: "#8a4b00",
    Failed: "#a4161a", Stopped: "#4f5b66", NotStarted: "#9aa5b1",
  };

  function drawGraphs(root) {
    if (typeof cytoscape === "undefined") return;
    root.querySelectorAll("[data-graph]").forEach((element) => {
      const graph = cytoscape({
        container: element,
        elements: JSON.parse(element.dataset.graph),
        userZoomingEnabled: false,
        autoungrabify: true,
        layout: { name: "dagre", rankDir: "LR", nodeSep: 30, rankSep: 70 },
        style: [
          {
            selector: "node",
            style: {
              shape: "round-rectangle", width: 170, height: 48, label: "data(label)", "text-wrap": "wrap",
              "text-valign": "center", "font-size": 11, color: "#ffffff",
              "background-color": (node) => colours[node.data("status")] || "#4f5b66",
            },
          },
          { selector: "edge", style: { width: 2, "line-color": "#9aa5b1", "target-arrow-color": "#9aa5b1", "target-arrow-shape": "triangle", "curve-style": "bezier" } },
        ],
      });
      graph.fit(undefined, 20);
      element.dataset.graphReady = "true";
    });
  }

  document.addEventListener("studio:region-updated", (event) => drawGraphs(event.target));
  drawGraphs(document);
})();
