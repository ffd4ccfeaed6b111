using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Kiln.FeatureStore.Streaming;
using Spectre.Console;
using StackExchange.Redis;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln features build-dataset</c>: a point-in-time-correct training set from labelled events and feature groups.</summary>
internal static class FeaturesCommand
{
    public static Command Create()
    {
        var command = new Command("features", "Feature Store: build point-in-time-correct training sets from feature groups, ingest records from a Redis stream.");
        command.Subcommands.Add(BuildDataset());
        command.Subcommands.Add(Ingest());
        return command;
    }

    private static Command BuildDataset()
    {
        var events = new Option<string>("--events") { Description = "The labelled events: a CSV with a header, s3://bucket/key in Kiln's object store", Required = true };
        var eventTime = new Option<string>("--event-time-column") { Description = "The events' time column (epoch seconds or ISO-8601)", Required = true };
        var recordId = new Option<string>("--record-id-column") { Description = "The events' column holding the feature groups' record identifier", Required = true };
        var groups = new Option<string[]>("--feature-group") { Description = "A feature group to join (repeat for several)", Required = true, AllowMultipleArgumentsPerToken = false };
        var output = new Option<string>("--output") { Description = "Where to write it: s3://bucket/prefix/ (the file is dataset.csv or dataset.parquet under it)", Required = true };
        var format = new Option<string>("--format") { Description = "csv or parquet", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "parquet");
        var command = new Command("build-dataset", "Join each event to every group's feature values as of the event's time (no values from after it), and write the result to S3 for a training channel.")
        {
            events, eventTime, recordId, groups, output, format,
        };
        command.SetAction((result, ct) => Guard(async () =>
        {
            using var client = CliOptions.Client(result);
            var built = await client.NativePostJsonAsync("feature-store/datasets", new
            {
                events = result.GetValue(events),
                event_time_column = result.GetValue(eventTime),
                record_id_column = result.GetValue(recordId),
                feature_groups = result.GetValue(groups),
                output = result.GetValue(output),
                format = result.GetValue(format),
            }, ct);
            if (result.GetValue(CliOptions.Json))
            {
                Output.Json(built);
                return 0;
            }

            AnsiConsole.MarkupLine($"Wrote [bold]{Output.Text(built["rows"])}[/] rows to {Output.Text(built["file"])}");
            AnsiConsole.MarkupLine($"Columns: {string.Join(", ", (built["columns"] as JsonArray ?? []).Select(Output.Text))}");
            AnsiConsole.MarkupLine($"Lineage artifact: {Output.Text(built["artifact_arn"])}");
            return 0;
        }));
        return command;
    }

    private static Command Ingest()
    {
        var from = new Option<string>("--from") { Description = "The stream to read: redis://[:password@]HOST:PORT/STREAM (each entry's fields are one record)", Required = true };
        var group = new Option<string>("--feature-group") { Description = "The feature group to put the records into", Required = true };
        var consumerGroup = new Option<string?>("--consumer-group") { Description = "The Redis consumer group that remembers how far ingestion got (default: kiln-<feature group>)" };
        var consumer = new Option<string>("--consumer") { Description = "This reader's name in the consumer group; a restart with the same name replays what it read but never acknowledged", DefaultValueFactory = _ => "kiln-" + Environment.MachineName };
        var deadLetter = new Option<string?>("--dead-letter") { Description = "The stream refused entries are copied to, with the reason (default: <stream>:dead-letter)" };
        var batch = new Option<int>("--batch") { Description = "Entries read per XREADGROUP", DefaultValueFactory = _ => 100 };
        var caughtUp = new Option<bool>("--until-caught-up") { Description = "Stop once every entry in the stream is handled instead of waiting for more" };
        var command = new Command("ingest", "Stream records from Redis into a feature group (XREADGROUP/XACK: a restart resumes without losing or repeating a record); Ctrl+C stops.")
        {
            from, group, consumerGroup, consumer, deadLetter, batch, caughtUp,
        };
        command.SetAction((result, ct) => Guard(async () =>
        {
            RedisStreamSource source;
            try
            {
                source = RedisStreamSource.Parse(result.GetValue(from)!);
            }
            catch (ArgumentException e)
            {
                return Output.Fail(e.Message);
            }

            if (result.GetValue(batch) is < 1 or > 10_000)
            {
                return Output.Fail("--batch must be between 1 and 10000.");
            }

            var name = result.GetValue(group)!;
            using var client = CliOptions.Client(result);
            ConnectionMultiplexer redis;
            try
            {
                redis = await ConnectionMultiplexer.ConnectAsync(source.Configuration());
            }
            catch (RedisConnectionException e)
            {
                return Output.Fail($"Cannot reach Redis at {source.Host}:{source.Port}: {e.Message}");
            }

            await using (redis)
            {
                var ingestor = new RedisStreamIngestor(redis.GetDatabase(), source.Stream, new HttpRecordSink(client), new IngestSettings
                {
                    FeatureGroup = name,
                    ConsumerGroup = result.GetValue(consumerGroup) ?? "kiln-" + name,
                    Consumer = result.GetValue(consumer)!,
                    DeadLetterStream = result.GetValue(deadLetter) ?? source.Stream + ":dead-letter",
                    BatchSize = result.GetValue(batch),
                    StopWhenCaughtUp = result.GetValue(caughtUp),
                }, message => Console.Error.WriteLine(message));
                IngestReport report;
                try
                {
                    report = await ingestor.RunAsync(ct);
                }
                catch (RecordRejectedException e)
                {
                    return Output.Fail($"{e.Code}: {e.Message}");
                }
                catch (RedisException e)
                {
                    return Output.Fail($"Redis: {e.Message}");
                }

                if (result.GetValue(CliOptions.Json))
                {
                    Output.Json(new JsonObject { ["ingested"] = report.Ingested, ["already_stored"] = report.AlreadyStored, ["dead_lettered"] = report.DeadLettered });
                    return 0;
                }

                AnsiConsole.MarkupLine($"Ingested [bold]{report.Ingested}[/] records into {Markup.Escape(name)}; {report.DeadLettered} refused (see the dead-letter stream), {report.AlreadyStored} already stored.");
                return 0;
            }
        }));
        return command;
    }

    /// <summary>PutRecord, GetRecord and DescribeFeatureGroup over Kiln's HTTP API; a 4xx answer to a put is a refused record.</summary>
    private sealed class HttpRecordSink(KilnClient client) : IFeatureRecordSink
    {
        public async Task<string> RecordIdentifierAsync(string featureGroup, CancellationToken ct)
        {
            var described = await client.SageMakerAsync("DescribeFeatureGroup", new { FeatureGroupName = featureGroup }, ct);
            return described["RecordIdentifierFeatureName"]!.GetValue<string>();
        }

        public async Task PutAsync(string featureGroup, IReadOnlyList<KeyValuePair<string, string>> record, CancellationToken ct)
        {
            var body = new { Record = record.Select(pair => new { FeatureName = pair.Key, ValueAsString = pair.Value }).ToList() };
            var (status, type, answer) = await client.FeatureStoreRuntimeAsync(HttpMethod.Put, "FeatureGroup/" + Uri.EscapeDataString(featureGroup), body, ct);
            if (status is >= 200 and < 300)
            {
                return;
            }

            var message = answer["message"]?.GetValue<string>() ?? answer["Message"]?.GetValue<string>() ?? answer.ToJsonString();
            if (status is >= 400 and < 500 && status != 429)
            {
                throw new RecordRejectedException(type ?? status.ToString(CultureInfo.InvariantCulture), message);
            }

            throw new KilnApiException(type ?? status.ToString(CultureInfo.InvariantCulture), $"PutRecord failed ({status}): {message}");
        }

        public async Task<IReadOnlyList<KeyValuePair<string, string>>?> GetAsync(string featureGroup, string recordId, CancellationToken ct)
        {
            var (status, _, answer) = await client.FeatureStoreRuntimeAsync(
                HttpMethod.Get, $"FeatureGroup/{Uri.EscapeDataString(featureGroup)}?RecordIdentifierValueAsString={Uri.EscapeDataString(recordId)}", null, ct);
            if (status is < 200 or >= 300 || answer["Record"] is not JsonArray values)
            {
                return null;
            }

            return values.Select(value => KeyValuePair.Create(value!["FeatureName"]!.GetValue<string>(), value["ValueAsString"]!.GetValue<string>())).ToList();
        }
    }

    private static async Task<int> Guard(Func<Task<int>> work)
    {
        try
        {
            return await work();
        }
        catch (KilnApiException e)
        {
            return Output.Fail($"{e.Code}: {e.Message}");
        }
    }
}
