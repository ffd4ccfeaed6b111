using Kiln.Monitoring.Statistics;

namespace Kiln.Monitoring.Datasets;

/// <summary>
/// Where a dataset's records come from: CSV (with a header, or without one and then named _c0.._cN as SageMaker
/// does), JSON Lines, or SageMaker data-capture files (the captured endpoint inputs). The streams are read once;
/// the caller disposes of them.
/// </summary>
public abstract class DatasetSource
{
    public static DatasetSource Csv(Stream stream, bool header) => new CsvSource([stream], header);

    public static DatasetSource Csv(IReadOnlyList<Stream> files, bool header) => new CsvSource(files, header);

    public static DatasetSource JsonLines(params IReadOnlyList<Stream> files) => new JsonLinesSource(files);

    /// <summary>Captured endpoint inputs (endpointInput) of data-capture JSON Lines files.</summary>
    public static DatasetSource Capture(params IReadOnlyList<Stream> files) => new CaptureSource(files);

    internal abstract void Feed(DatasetProfiler profiler);

    private sealed class CsvSource(IReadOnlyList<Stream> files, bool header) : DatasetSource
    {
        internal override void Feed(DatasetProfiler profiler)
        {
            for (var i = 0; i < files.Count; i++)
            {
                CsvDatasetReader.Read(files[i], header, profiler, $"CSV file {i + 1}");
            }
        }
    }

    private sealed class JsonLinesSource(IReadOnlyList<Stream> files) : DatasetSource
    {
        internal override void Feed(DatasetProfiler profiler)
        {
            for (var i = 0; i < files.Count; i++)
            {
                JsonLinesDatasetReader.Read(files[i], profiler, $"JSON Lines file {i + 1}");
            }
        }
    }

    private sealed class CaptureSource(IReadOnlyList<Stream> files) : DatasetSource
    {
        internal override void Feed(DatasetProfiler profiler)
        {
            for (var i = 0; i < files.Count; i++)
            {
                foreach (var record in CaptureReader.Read(files[i], $"capture file {i + 1}"))
                {
                    if (record.Input is { } input)
                    {
                        PayloadRows.Feed(input, profiler, $"capture file {i + 1} line {record.Line}");
                    }
                }
            }
        }
    }
}
