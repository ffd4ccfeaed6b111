using Kiln.Core.Pipelines;
using Kiln.Pipelines.Definition;

namespace Kiln.Studio.Data.Pipelines;

/// <summary>
/// An execution's steps as a graph for Cytoscape.js (https://js.cytoscape.org/#notation/elements-json): one node per
/// step of the definition the execution ran, with its status, and one edge per dependency (DependsOn, the steps its
/// arguments read, and the condition it is a branch of). studio-graph.js lays it out with dagre.
/// </summary>
public static class StepGraph
{
    public static object Elements(PipelineExecution execution)
    {
        PipelineDefinition definition;
        try
        {
            definition = DefinitionParser.Parse(execution.DefinitionJson);
        }
        catch (PipelineDefinitionException)
        {
            return Array.Empty<object>();
        }

        var nodes = definition.Steps.Select(step =>
        {
            var run = execution.Step(step.Name);
            var status = run is null ? "NotStarted" : run.CacheSourceExecutionId is not null ? "CacheHit" : run.Status.ToString();
            return (object)new { data = new { id = step.Name, label = $"{step.Name}\n{step.Type} · {status}", status } };
        });
        var edges = definition.Steps.SelectMany(step => DefinitionValidator.Dependencies(definition, step)
            .Select(upstream => (object)new { data = new { id = $"{upstream}->{step.Name}", source = upstream, target = step.Name } }));
        return nodes.Concat(edges).ToList();
    }
}
