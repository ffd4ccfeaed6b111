using System.Text.Json.Nodes;
using Kiln.Core.Common;
using Kiln.Core.Serving;

namespace Kiln.Serving.Tests.Model;

public sealed class DomainTests
{
    [Theory]
    [InlineData("$[1:]", "[\"b\",\"c\",\"d\"]")]
    [InlineData("$[:-1]", "[\"a\",\"b\",\"c\"]")]
    [InlineData("$[0,-1]", "[\"a\",\"d\"]")]
    [InlineData("$[2]", "\"c\"")]
    [InlineData("$", "[\"a\",\"b\",\"c\",\"d\"]")]
    public void Json_path_filters_select_from_a_csv_record(string path, string expected)
    {
        var record = new JsonArray("a", "b", "c", "d");
        Assert.Equal(expected, JsonPathFilter.Parse(path).Apply(record)!.ToJsonString());
    }

    [Fact]
    public void Json_path_filters_select_members()
    {
        var record = JsonNode.Parse("{\"id\": 7, \"data\": {\"features\": [1, 2]}}");
        Assert.Equal("[1,2]", JsonPathFilter.Parse("$.data.features").Apply(record)!.ToJsonString());
        Assert.Equal("7", JsonPathFilter.Parse("$['id']").Apply(record)!.ToJsonString());
        Assert.Throws<InvalidDataException>(() => JsonPathFilter.Parse("$.missing").Apply(record));
        Assert.Throws<InvalidDataException>(() => JsonPathFilter.Parse("$[9]").Apply(new JsonArray(1, 2)));
    }

    [Theory]
    [InlineData("features")]
    [InlineData("$[1:")]
    [InlineData("$[x]")]
    [InlineData("$.")]
    [InlineData("$[1:2:3]")]
    public void Json_paths_outside_the_grammar_are_refused(string path)
    {
        var error = Assert.Throws<KilnException>(() => JsonPathFilter.Parse(path));
        Assert.Equal(ErrorCode.InvalidParameterValue, error.Code);
        Assert.Contains("JSONPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Blue_green_steps_follow_the_policy()
    {
        Assert.Equal([1.0], new BlueGreenPolicy(BlueGreenPolicy.AllAtOnce, 0).Steps(4));
        Assert.Equal([0.25, 1.0], new BlueGreenPolicy(BlueGreenPolicy.Canary, 5, CanarySize: new CapacitySize(CapacitySize.CapacityPercent, 25)).Steps(4));
        Assert.Equal([0.5, 1.0], new BlueGreenPolicy(BlueGreenPolicy.Canary, 5, CanarySize: new CapacitySize(CapacitySize.InstanceCount, 1)).Steps(2));
        var linear = new BlueGreenPolicy(BlueGreenPolicy.Linear, 5, LinearStepSize: new CapacitySize(CapacitySize.CapacityPercent, 30)).Steps(3);
        Assert.Equal(4, linear.Count);
        Assert.Equal([0.3, 0.6, 0.9, 1.0], linear.Select(step => Math.Round(step, 6)));
        Assert.Equal([1.0], new BlueGreenPolicy(BlueGreenPolicy.Canary, 5, CanarySize: new CapacitySize(CapacitySize.InstanceCount, 5)).Steps(2));
    }
}
