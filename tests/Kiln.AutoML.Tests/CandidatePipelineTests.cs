using Kiln.AutoML.Candidates;
using Kiln.AutoML.Data;
using Kiln.Core.AutoML;
using Kiln.Core.Tuning;
using Kiln.Training.Algorithms;
using Kiln.Training.Data;

namespace Kiln.AutoML.Tests;

public sealed class CandidatePipelineTests
{
    private static TableProfile Profile(int distinctIds, Func<int, object> target)
    {
        var table = new RawTable(["id", "size", "x", "y"]);
        for (var i = 0; i < 300; i++)
        {
            table.Add([$"u{i % distinctIds}", i % 2 == 0 ? "s" : "l", (double)i, target(i)], new RowSource("t.csv", i + 2));
        }

        return TableProfile.Build(table, "y");
    }

    [Fact]
    public void Regression_gets_lightgbm_with_native_categories_and_a_tuned_target_transform()
    {
        var pipelines = CandidatePipelines.For(AutoMLProblemType.Regression, Profile(5, i => (double)i), null);
        Assert.Equal(["dpp0-xgboost", "dpp1-xgboost", "dpp2-linear-learner", "dpp3-lightgbm"], pipelines.Select(p => p.Name));
        var lightgbm = pipelines[^1];
        Assert.Equal("native", lightgbm.StaticHyperParameters["categorical_encoding"]);
        var transform = Assert.Single(lightgbm.Ranges, r => r.Name == "target_transform");
        Assert.Equal(ParameterKind.Categorical, transform.Kind);
        Assert.Equal(["none", "log1p", "yeo-johnson"], transform.Values!);

        // Every fixed value and range is one the algorithm accepts (a tuning job would refuse the candidate otherwise).
        var algorithm = new AlgorithmCatalog().Find(lightgbm.Image)!;
        algorithm.Validate(new Dictionary<string, string>(lightgbm.StaticHyperParameters) { ["target_transform"] = "log1p", ["num_leaves"] = "31" }, ["train", "validation"]);
    }

    [Fact]
    public void A_target_with_values_below_minus_one_is_offered_yeo_johnson_but_not_log1p()
    {
        var lightgbm = CandidatePipelines.For(AutoMLProblemType.Regression, Profile(5, i => (double)(i - 150)), null)[^1];
        Assert.Equal(["none", "yeo-johnson"], Assert.Single(lightgbm.Ranges, r => r.Name == "target_transform").Values!);
    }

    [Fact]
    public void Classification_lightgbm_has_no_target_transform()
    {
        var lightgbm = CandidatePipelines.For(AutoMLProblemType.BinaryClassification, Profile(5, i => i % 2 == 0 ? "a" : "b"), null)[^1];
        Assert.Equal("binary", lightgbm.StaticHyperParameters["objective"]);
        Assert.DoesNotContain(lightgbm.Ranges, r => r.Name == "target_transform");
    }

    [Theory]
    [InlineData(5, "onehot")]
    [InlineData(100, "target")]
    public void The_linear_candidate_target_encodes_high_cardinality_columns(int distinctIds, string encoding)
    {
        var linear = CandidatePipelines.For(AutoMLProblemType.Regression, Profile(distinctIds, i => (double)i), null).Single(p => p.Algorithm == "linear-learner");
        Assert.Equal(encoding, linear.StaticHyperParameters["categorical_encoding"]);
    }
}
