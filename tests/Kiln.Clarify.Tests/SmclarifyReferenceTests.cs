using System.Text.Json;
using Kiln.Clarify.Bias;
using Kiln.Clarify.Config;
using Kiln.Clarify.Data;

namespace Kiln.Clarify.Tests;

/// <summary>
/// Every bias metric equals what AWS's open-source Clarify library (smclarify) computes on the same data and
/// config, to 1e-6. Reference/generate.py produced Reference/expected.json by running smclarify.
/// </summary>
public sealed class SmclarifyReferenceTests
{
    private static readonly string ReferenceDir = Path.Combine(AppContext.BaseDirectory, "Reference");

    public static TheoryData<string> Cases() => ["attrition", "breast_cancer", "synthetic", "small_binary"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pre_and_post_training_metrics_match_smclarify(string name)
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(ReferenceDir, "expected.json")));
        var reference = expected.RootElement.GetProperty(name);
        var config = AnalysisConfigParser.Parse(reference.GetProperty("config").GetRawText());
        using var reader = new StreamReader(Path.Combine(ReferenceDir, "data", name + ".csv"));
        var data = DatasetReader.Read(config, reader);

        var compared = 0;
        foreach (var facet in reference.GetProperty("facets").EnumerateObject())
        {
            // smclarify reports one facet at a time, so a facet it rejects does not hide the others.
            var single = config with { Facets = [config.Facets.Single(f => f.Column.Name == facet.Name)] };
            compared += Stage(facet.Value.GetProperty("pre_training"), () => BiasAnalyzer.PreTraining(single, data), reference, $"{name}/{facet.Name}/pre");
            compared += Stage(facet.Value.GetProperty("post_training"), () => BiasAnalyzer.PostTraining(single, data), reference, $"{name}/{facet.Name}/post");
        }
        Assert.True(compared >= 7, $"only {compared} metrics compared");
    }

    private static int Stage(JsonElement expected, Func<BiasReport> run, JsonElement reference, string where)
    {
        if (expected.ValueKind == JsonValueKind.Object)
        {
            var e = Assert.Throws<ClarifyValidationException>(run);
            Assert.False(string.IsNullOrWhiteSpace(e.Message), where);
            return 0;
        }
        var report = run();
        Assert.Equal(reference.GetProperty("label_value_or_threshold").GetString(), report.LabelValueOrThreshold);
        return Compare(expected, Assert.Single(report.Facets), where);
    }

    private static int Compare(JsonElement expected, FacetResult actual, string where)
    {
        var groups = expected.EnumerateArray().ToList();
        Assert.Equal(groups.Select(g => g.GetProperty("value_or_threshold").GetString()), actual.Values.Select(v => v.ValueOrThreshold));
        var compared = 0;
        foreach (var (group, result) in groups.Zip(actual.Values))
        {
            var metrics = group.GetProperty("metrics").EnumerateArray().ToList();
            Assert.Equal(metrics.Select(m => m.GetProperty("name").GetString()), result.Metrics.Select(m => m.Name));
            foreach (var (e, a) in metrics.Zip(result.Metrics))
            {
                var at = $"{where}/{result.ValueOrThreshold}/{a.Name}";
                Assert.Equal(e.GetProperty("description").GetString(), a.Description);
                var value = e.GetProperty("value");
                if (e.TryGetProperty("error", out _))
                {
                    Assert.True(a.Value is null && a.Error is not null, $"{at}: smclarify fails it, Kiln gave {a.Value}");
                    continue;
                }
                Assert.True(a.Value is not null, $"{at}: Kiln failed with {a.Error}");
                var want = value.ValueKind == JsonValueKind.String
                    ? value.GetString() == "Infinity" ? double.PositiveInfinity : double.NegativeInfinity
                    : value.GetDouble();
                if (double.IsInfinity(want))
                {
                    Assert.True(want == a.Value, $"{at}: expected {want}, got {a.Value}");
                }
                else
                {
                    Assert.True(Math.Abs(want - a.Value!.Value) <= 1e-6, $"{at}: expected {want}, got {a.Value}");
                }
                compared++;
            }
        }
        return compared;
    }
}
