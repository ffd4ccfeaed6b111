using System.Net;
using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.MLflow;

/// <summary>runs/search over a fixed set of runs: MLflow's filter grammar, ordering and paging.</summary>
public sealed class SearchRunsApiTests(SearchRunsApiTests.Data data) : IClassFixture<SearchRunsApiTests.Data>
{
    public sealed class Data : IAsyncLifetime
    {
        public KilnServerFixture Server { get; } = new();

        public string ExperimentId { get; private set; } = "";

        public List<string> RunIds { get; } = [];

        public async Task InitializeAsync()
        {
            await Server.InitializeAsync();
            var api = Server.Mlflow;
            ExperimentId = await api.CreateExperimentAsync("search-runs");
            // Five runs: auc 0.80 .. 0.96, depth param 2..6, a "team" tag on the even ones, one without auc.
            for (var i = 0; i < 5; i++)
            {
                var runId = await api.CreateRunAsync(ExperimentId, new { run_name = $"run-{i}", start_time = 1_000_000L + i });
                RunIds.Add(runId);
                await api.OkAsync(api.PostAsync("runs/log-batch", new
                {
                    run_id = runId,
                    metrics = new[] { new { key = "auc", value = 0.80 + (0.04 * i), timestamp = 1L, step = 0L } },
                    @params = new[] { new { key = "depth", value = (2 + i).ToString(System.Globalization.CultureInfo.InvariantCulture) } },
                    tags = i % 2 == 0 ? new[] { new { key = "team", value = i == 0 ? "Risk" : "risk" } } : [],
                }));
            }

            var bare = await api.CreateRunAsync(ExperimentId, new { run_name = "no-metrics", start_time = 2_000_000L });
            RunIds.Add(bare);
            await api.OkAsync(api.PostAsync("runs/update", new { run_id = RunIds[4], status = "FINISHED" }));
        }

        public Task DisposeAsync() => Server.DisposeAsync();
    }

    private readonly MlflowHttp _api = data.Server.Mlflow;

    private async Task<List<string>> SearchNamesAsync(string? filter, string[]? orderBy = null, int maxResults = 100)
    {
        var body = await _api.OkAsync(_api.PostAsync("runs/search", new { experiment_ids = new[] { data.ExperimentId }, filter, order_by = orderBy, max_results = maxResults }));
        return body.TryGetProperty("runs", out var runs)
            ? runs.EnumerateArray().Select(r => r.GetProperty("info").GetProperty("run_name").GetString()!).ToList()
            : [];
    }

    [Theory]
    [InlineData("metrics.auc > 0.9", "run-3,run-4")]
    [InlineData("metrics.auc >= 0.88 and metrics.auc < 0.95", "run-2,run-3")]
    [InlineData("metric.auc = 0.8", "run-0")]
    [InlineData("metrics.auc != 0.8", "run-1,run-2,run-3,run-4")]
    [InlineData("params.depth = '4'", "run-2")]
    [InlineData("params.depth != '4'", "run-0,run-1,run-3,run-4")]
    [InlineData("param.depth LIKE '%5'", "run-3")]
    [InlineData("tags.team = 'risk'", "run-2,run-4")]
    [InlineData("tags.team LIKE 'r%'", "run-2,run-4")]
    [InlineData("tags.team ILIKE 'r%'", "run-0,run-2,run-4")]
    [InlineData("tags.`team` = \"Risk\"", "run-0")]
    [InlineData("attributes.run_name = 'run-1'", "run-1")]
    [InlineData("run_name LIKE 'run-%' AND params.depth = '2'", "run-0")]
    [InlineData("attributes.status = 'FINISHED'", "run-4")]
    [InlineData("attributes.start_time >= 2000000", "no-metrics")]
    [InlineData("metrics.auc > 0.9 AND tags.team = 'risk'", "run-4")]
    public async Task Filter_selects_matching_runs(string filter, string expected)
    {
        var names = await SearchNamesAsync(filter);
        Assert.Equal(expected.Split(',').Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Run_id_IN_and_NOT_IN_lists()
    {
        var inList = await SearchNamesAsync($"attributes.run_id IN ('{data.RunIds[0]}', '{data.RunIds[1]}')");
        Assert.Equal(["run-0", "run-1"], inList.Order(StringComparer.Ordinal));
        var notIn = await SearchNamesAsync($"attributes.run_id NOT IN ('{data.RunIds[0]}')");
        Assert.Equal(5, notIn.Count);
    }

    [Fact]
    public async Task Order_by_metric_puts_missing_values_last_in_both_directions()
    {
        Assert.Equal(["run-4", "run-3", "run-2", "run-1", "run-0", "no-metrics"], await SearchNamesAsync(null, ["metrics.auc DESC"]));
        Assert.Equal(["run-0", "run-1", "run-2", "run-3", "run-4", "no-metrics"], await SearchNamesAsync(null, ["metrics.auc ASC"]));
    }

    [Fact]
    public async Task Default_order_is_newest_start_time_first()
    {
        Assert.Equal(["no-metrics", "run-4", "run-3", "run-2", "run-1", "run-0"], await SearchNamesAsync(null));
    }

    [Fact]
    public async Task Order_by_param_and_attribute()
    {
        Assert.Equal(["run-0", "run-1", "run-2", "run-3", "run-4", "no-metrics"], await SearchNamesAsync(null, ["params.depth"]));
        Assert.Equal(["no-metrics", "run-0", "run-1", "run-2", "run-3", "run-4"], await SearchNamesAsync(null, ["attributes.run_name ASC"]));
    }

    [Fact]
    public async Task Pages_cover_every_run_once()
    {
        var seen = new List<string>();
        string? token = null;
        do
        {
            var body = await _api.OkAsync(_api.PostAsync("runs/search", new { experiment_ids = new[] { data.ExperimentId }, max_results = 4, page_token = token }));
            seen.AddRange(body.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("info").GetProperty("run_id").GetString()!));
            token = body.TryGetProperty("next_page_token", out var next) ? next.GetString() : null;
        }
        while (token is not null);

        Assert.Equal(data.RunIds.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Search_by_get_with_query_parameters()
    {
        var body = await _api.OkAsync(_api.GetAsync("runs/search", ("experiment_ids", data.ExperimentId), ("filter", "params.depth = '3'")));
        Assert.Equal("run-1", Assert.Single(body.GetProperty("runs").EnumerateArray()).GetProperty("info").GetProperty("run_name").GetString());
    }

    [Theory]
    [InlineData("metrics.auc > 'high'", "Expected numeric value type for metric")]
    [InlineData("params.depth > '3'", "Invalid comparator")]
    [InlineData("params.depth = 3", "Expected a quoted string value")]
    [InlineData("metrics.auc > 0.9 OR params.depth = '2'", "Invalid clause(s) in filter string")]
    [InlineData("attributes.color = 'red'", "Invalid attribute key")]
    [InlineData("foo.bar = 'x'", "Invalid entity type")]
    [InlineData("metrics.auc >", "Invalid comparison clause")]
    [InlineData("metrics.auc ~ 3", "")]
    [InlineData("attributes.run_name IN ('a')", "")]
    [InlineData("(metrics.auc > 1", "")]
    [InlineData("params.depth = 'unterminated", "")]
    public async Task Filters_that_are_not_grammar_are_invalid_parameter_value(string filter, string messagePart)
    {
        var response = await _api.PostAsync("runs/search", new { experiment_ids = new[] { data.ExperimentId }, filter });
        response.AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", messagePart.Length == 0 ? null : messagePart);
    }

    [Theory]
    [InlineData("metrics.auc DESCENDING")]
    [InlineData("colour")]
    [InlineData("metrics.auc DESC, params.depth")]
    public async Task Order_by_that_is_not_grammar_is_invalid_parameter_value(string orderBy)
    {
        (await _api.PostAsync("runs/search", new { experiment_ids = new[] { data.ExperimentId }, order_by = new[] { orderBy } }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Max_results_over_the_threshold_is_refused()
    {
        (await _api.PostAsync("runs/search", new { experiment_ids = new[] { data.ExperimentId }, max_results = 50001 }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "50000");
        (await _api.PostAsync("runs/search", new { experiment_ids = new[] { data.ExperimentId }, page_token = "not-a-token!" }))
            .AssertError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Deleted_runs_are_found_only_when_asked_for()
    {
        var experiment = await _api.CreateExperimentAsync();
        var runId = await _api.CreateRunAsync(experiment);
        await _api.OkAsync(_api.PostAsync("runs/delete", new { run_id = runId }));
        var active = await _api.OkAsync(_api.PostAsync("runs/search", new { experiment_ids = new[] { experiment } }));
        var deleted = await _api.OkAsync(_api.PostAsync("runs/search", new { experiment_ids = new[] { experiment }, run_view_type = "DELETED_ONLY" }));
        var all = await _api.OkAsync(_api.PostAsync("runs/search", new { experiment_ids = new[] { experiment }, run_view_type = "ALL" }));
        Assert.False(active.TryGetProperty("runs", out _));
        Assert.Single(deleted.GetProperty("runs").EnumerateArray());
        Assert.Single(all.GetProperty("runs").EnumerateArray());
    }
}
