// Draws the lineage graph the server described in <div data-lineage='{"nodes":[...],"edges":[...]}'> with Cytoscape.js,
// laid out left to right by cytoscape-dagre (upstream on the left). Selecting a node opens its Studio page.
(() => {
  "use strict";
  if (typeof cytoscape === "undefined") return;

  const colours = { Start: "#0b5cad", Upstream: "#1b6e2f", Downstream: "#8a4b00", Related: "#4f5b66" };
  const shapes = { Artifact: "round-rectangle", Action: "diamond", Context: "hexagon", TrialComponent: "ellipse" };

  document.querySelectorAll("[data-lineage]").forEach((element) => {
    const graph = cytoscape({
      container: element,
      elements: JSON.parse(element.dataset.lineage),
      layout: { name: "dagre", rankDir: "LR", nodeSep: 30, rankSep: 90 },
      // A small graph fitted to the box would be drawn huge: cap the zoom so labels keep a readable size.
      maxZoom: 1.4,
      minZoom: 0.1,
      wheelSensitivity: 0.3,
      style: [
        {
          selector: "node",
          style: {
            "label": "data(label)",
            "text-wrap": "wrap",
            "text-max-width": "160px",
            "text-valign": "bottom",
            "text-margin-y": 6,
            "font-size": 11,
            "color": "#1d232a",
            "shape": (node) => shapes[node.data("kind")] || "ellipse",
            "background-color": (node) => colours[node.data("relation")] || "#4f5b66",
            "width": 28,
            "height": 28,
          },
        },
        { selector: "node[relation = 'Start']", style: { "border-width": 4, "border-color": "#16202b", "width": 36, "height": 36 } },
        {
          selector: "edge",
          style: {
            "label": "data(label)",
            "font-size": 9,
            "color": "#4f5b66",
            "text-rotation": "autorotate",
            "curve-style": "bezier",
            "target-arrow-shape": "triangle",
            "width": 1.5,
            "line-color": "#9aa5b1",
            "target-arrow-color": "#9aa5b1",
          },
        },
      ],
    });
    graph.on("tap", "node", (event) => { window.location.href = event.target.data("href"); });
    graph.on("mouseover", "node", () => { element.style.cursor = "pointer"; });
    graph.on("mouseout", "node", () => { element.style.cursor = ""; });
    element.dataset.graphNodes = String(graph.nodes().length);
    element.dataset.graphEdges = String(graph.edges().length);
    element.dataset.graphReady = "true";
    window.kilnLineage = graph;
  });
})();
