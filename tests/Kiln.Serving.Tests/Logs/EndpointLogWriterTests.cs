using Kiln.Core.Logs;
using Kiln.Serving.Logs;
using Kiln.Serving.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kiln.Serving.Tests.Logs;

/// <summary>Replica logs: queued lines reach their stream's file with the time they were written, and stream names cannot reach outside the folder.</summary>
public sealed class EndpointLogWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kiln-endpoint-logs-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Queued_lines_land_in_the_replicas_stream_stamped_when_they_were_queued()
    {
        var clock = new StepClock(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var files = new EndpointLogFiles(new ServingWorkspace(_directory));
        ReplicaLog one, two;
        using (var writer = new EndpointLogWriter(files, clock, NullLogger<EndpointLogWriter>.Instance))
        {
            one = writer.Open("my-endpoint", "AllTraffic");
            two = writer.Open("my-endpoint", "AllTraffic");
            one.Write("loading");
            two.Write("loading too");
            one.Write("Traceback (most recent call last):\n  File \"inference.py\"");
        }

        Assert.NotEqual(one.Stream, two.Stream);
        Assert.Matches("^AllTraffic/i-[0-9a-f]{17}$", one.Stream);
        Assert.Equal(["my-endpoint"], files.Endpoints());
        Assert.Equal(new[] { one.Stream, two.Stream }.Order(StringComparer.Ordinal), files.Streams("my-endpoint").Order(StringComparer.Ordinal));
        var lines = JobLogReader.Read(files.StreamFile("my-endpoint", one.Stream)!);
        Assert.Equal(["loading", "Traceback (most recent call last):", "  File \"inference.py\""], lines.Select(line => line.Message));
        Assert.Equal([1_700_000_000_000, 1_700_000_002_000, 1_700_000_002_000], lines.Select(line => line.Timestamp));
    }

    [Theory]
    [InlineData("AllTraffic")]
    [InlineData("AllTraffic/i-123")]
    [InlineData("../x/i-0123456789abcdef0")]
    [InlineData("AllTraffic/../../i-0123456789abcdef0")]
    [InlineData("AllTraffic/i-0123456789ABCDEF0")]
    [InlineData("/i-0123456789abcdef0")]
    public void Names_that_Kiln_does_not_write_have_no_file(string stream)
    {
        var files = new EndpointLogFiles(new ServingWorkspace(_directory));
        Assert.Null(files.StreamFile("my-endpoint", stream));
        Assert.Null(files.StreamFile("../my-endpoint", "AllTraffic/i-0123456789abcdef0"));
        Assert.Empty(files.Streams(".."));
    }

    /// <summary>A clock that moves one second each time it is read.</summary>
    private sealed class StepClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow()
        {
            var now = _now;
            _now = _now.AddSeconds(1);
            return now;
        }
    }
}
