using Kiln.Core.Training;

namespace Kiln.Training.Data;

public enum DataFormat
{
    /// <summary>SageMaker's convention for built-in algorithms: no header, the label in the first column, all numeric.</summary>
    CsvLabelFirst,

    /// <summary>CSV with a header row; the target column is named by a hyperparameter.</summary>
    CsvWithHeader,

    Parquet,

    JsonLines,

    /// <summary>fastText/BlazingText lines: <c>__label__x some text</c>.</summary>
    LabeledText,
}

/// <summary>How a channel is to be read: its format (from ContentType, else the file extension), target column, and for
/// label-first CSV whether rows carry a label at all (<c>label_size=0</c> for unsupervised algorithms).</summary>
public sealed record DataLayout(DataFormat Format, string? TargetColumn, bool HasLabel = true)
{
    /// <summary>
    /// Kiln reads SageMaker's convention by default and also headed CSV, Parquet and JSON Lines:
    /// <c>text/csv;header=present</c> or a <c>target_column</c> hyperparameter means a header row.
    /// </summary>
    public static DataLayout For(TrainingChannel channel, string? targetColumn)
    {
        var contentType = (channel.ContentType ?? "").ToLowerInvariant();
        var extension = channel.Files().Select(file => Path.GetExtension(file).ToLowerInvariant()).FirstOrDefault() ?? "";
        if (contentType.Contains("parquet", StringComparison.Ordinal) || extension == ".parquet")
        {
            return new DataLayout(DataFormat.Parquet, targetColumn);
        }

        if (contentType.Contains("jsonlines", StringComparison.Ordinal) || contentType.Contains("x-ndjson", StringComparison.Ordinal) || extension is ".jsonl" or ".ndjson")
        {
            return new DataLayout(DataFormat.JsonLines, targetColumn);
        }

        var header = contentType.Contains("header=present", StringComparison.Ordinal) || targetColumn is not null;
        return new DataLayout(header ? DataFormat.CsvWithHeader : DataFormat.CsvLabelFirst, targetColumn);
    }

    /// <summary>The layout for an unsupervised algorithm: label-first CSV has no label unless the channel says <c>label_size=1</c>.</summary>
    public static DataLayout Unsupervised(TrainingChannel channel, string? targetColumn)
    {
        var layout = For(channel, targetColumn);
        var labelled = (channel.ContentType ?? "").Replace(" ", "", StringComparison.Ordinal).Contains("label_size=1", StringComparison.OrdinalIgnoreCase);
        return layout with { HasLabel = layout.Format != DataFormat.CsvLabelFirst || labelled };
    }
}
