using System.Text.Json.Nodes;
using Kiln.Core.Common;
using Kiln.Core.Serving;

namespace Kiln.Serving.Tests.Explain;

public sealed class ExplanationFilterTests
{
    [Theory]
    [InlineData("`true`", "[0.1]", true)]
    [InlineData("`false`", "[0.9]", false)]
    [InlineData("[0]>`0.5`", "[0.6]", true)]
    [InlineData("[0]>`0.5`", "[0.5]", false)]
    [InlineData("[1] >= `0.5`", "[1, 0.5]", true)]
    [InlineData("[1]>`0.5`", "[1]", false)]
    [InlineData("[-1]<`0.5`", "[0.9, 0.2]", true)]
    [InlineData("probability>`0.5`", "{\"predicted_label\":1,\"probability\":0.6}", true)]
    [InlineData("probability>`0.5`", "{\"predicted_label\":1}", false)]
    [InlineData("scores[0] <= `0.3` && label == 'cat'", "{\"scores\":[0.2],\"label\":\"cat\"}", true)]
    [InlineData("scores[0] <= `0.3` && label == 'cat'", "{\"scores\":[0.2],\"label\":\"dog\"}", false)]
    [InlineData("!([0]>`0.5`) || [1] != `1`", "[0.9, 1]", false)]
    [InlineData("!([0]>`0.5`) || [1] != `1`", "[0.9, 2]", true)]
    [InlineData("[0] > 'text'", "[0.9]", false)]
    [InlineData("a.b == `2`", "{\"a\":{\"b\":2}}", true)]
    public void Selects_records_as_jmespath_evaluates_them(string expression, string record, bool expected) =>
        Assert.Equal(expected, ExplanationFilter.Parse(expression).Selects(JsonNode.Parse(record)));

    [Theory]
    [InlineData("[0] >", "an expression is missing")]
    [InlineData("max(probabilities)", "functions are not supported")]
    [InlineData("[1:]", "whole-number index")]
    [InlineData("`true", "unclosed")]
    [InlineData("`tru`", "not a JSON literal")]
    [InlineData("[0] > `1` extra", "unexpected text")]
    public void Refuses_what_it_cannot_evaluate_saying_why(string expression, string problem)
    {
        var error = Assert.Throws<KilnException>(() => ExplanationFilter.Parse(expression));
        Assert.Equal(ErrorCode.InvalidParameterValue, error.Code);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
