using Kiln.Api.Tests.Infrastructure;
using Parquet.Serialization;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Feature Store through boto3: feature groups (sagemaker) and records (sagemaker-featurestore-runtime), tests/clients/boto3/sagemaker_feature_store.py.</summary>
public sealed class FeatureStoreTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    private static readonly string[] Columns = ["customer_id", "event_time", "age", "spend", "city", "write_time", "api_invocation_time", "is_deleted"];

    [Theory]
    [InlineData("test_control_plane")]
    [InlineData("test_create_errors")]
    [InlineData("test_put_get_and_event_time_rules")]
    [InlineData("test_bad_records_store_nothing")]
    [InlineData("test_batch_get_record")]
    [InlineData("test_ttl_expiry")]
    [InlineData("test_soft_and_hard_delete")]
    [InlineData("test_feature_group_tags")]
    [InlineData("test_search_feature_groups_and_metadata")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_feature_store.py", test);

    /// <summary>
    /// The offline store's files, fetched through the S3 API by boto3 and read back with Parquet.Net: one file per event-time
    /// hour, a column per feature plus write_time, api_invocation_time and is_deleted, every accepted put (older ones too)
    /// and the delete marker, nothing for a refused put or an online-only one.
    /// </summary>
    [Fact]
    public async Task Offline_store_holds_every_accepted_write_as_parquet()
    {
        var folder = Path.Combine(Path.GetTempPath(), "kiln-offline-" + Guid.NewGuid().ToString("N"));
        var started = DateTime.UtcNow;
        try
        {
            await Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_feature_store.py", "test_offline_store_files", null, folder);

            var byHour = new Dictionary<string, List<IDictionary<string, object?>>>();
            foreach (var file in Directory.GetFiles(folder, "*.parquet"))
            {
                await using var stream = File.OpenRead(file);
                var table = await ParquetSerializer.DeserializeUntypedAsync(stream);
                Assert.Equal(Columns, table.Schema.GetDataFields().Select(field => field.Name));
                var hour = Path.GetFileNameWithoutExtension(file).Split('-', 2)[1];
                if (!byHour.TryGetValue(hour, out var rows))
                {
                    byHour[hour] = rows = [];
                }

                rows.AddRange(table.Data.Select(row => (IDictionary<string, object?>)row));
            }

            Assert.Equal(["hour=22", "hour=23"], byHour.Keys.Order(StringComparer.Ordinal));
            var first = byHour["hour=22"].OrderByDescending(row => (double)row["event_time"]!).ToList();
            Assert.Equal(2, first.Count);
            Assert.Equal(["c1", "c1"], first.Select(row => row["customer_id"]));
            Assert.Equal([1700000000.0, 1699999999.0], first.Select(row => (double)row["event_time"]!));
            Assert.Equal([41L, 40L], first.Select(row => (long)row["age"]!));
            Assert.Equal(12.5, first[0]["spend"]);
            Assert.Null(Value(first[1], "spend"));
            Assert.Equal("Lyon", first[0]["city"]);
            Assert.All(first, row => Assert.Equal(false, row["is_deleted"]));

            var second = byHour["hour=23"].OrderBy(row => (double)row["event_time"]!).ToList();
            Assert.Equal([1700003600.25, 1700003700.0], second.Select(row => (double)row["event_time"]!));
            Assert.Equal(["c2", "c2"], second.Select(row => row["customer_id"]));
            Assert.Equal([false, true], second.Select(row => (bool)row["is_deleted"]!));
            Assert.Equal("Oslo", second[0]["city"]);
            Assert.Null(Value(second[1], "city"));

            foreach (var row in byHour.Values.SelectMany(rows => rows))
            {
                var written = (DateTime)row["write_time"]!;
                var invoked = (DateTime)row["api_invocation_time"]!;
                Assert.InRange(invoked, started.AddSeconds(-5), DateTime.UtcNow);
                Assert.True(written >= invoked, $"write_time {written:O} is before api_invocation_time {invoked:O}");
            }
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>A column's value in a row read back; Parquet.Net leaves null values out of the row.</summary>
    private static object? Value(IDictionary<string, object?> row, string column) => row.TryGetValue(column, out var value) ? value : null;
}
