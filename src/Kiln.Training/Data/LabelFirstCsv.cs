using Kiln.Core.Tabular;
using Kiln.Core.Training;

namespace Kiln.Training.Data;

/// <summary>
/// SageMaker's CSV convention for built-in algorithms (no header, label first, numbers only) on the shared
/// <see cref="CsvReader"/>, with every refusal naming the file, the line and the column.
/// </summary>
internal static class LabelFirstCsv
{
    /// <summary>Whether a cell is a missing feature (empty); an empty label is a refusal.</summary>
    public static bool Missing(CsvCell cell, bool isLabel, string shown) =>
        cell.IsEmpty && (isLabel
            ? throw new TrainingFailedException($"{shown} line {cell.Line}, column 1: the label is missing (SageMaker's CSV format puts the label in the first column).")
            : true);

    /// <summary>Bad CSV as the job reports it: the file, the position and what is wrong.</summary>
    public static TrainingFailedException Failed(string shown, CsvFormatException e) => new(
        e.Kind == CsvProblem.NotANumber
            ? $"{shown} {e.Message} (built-in algorithms read CSV without a header, label first, numbers only; for a header row pass the target_column hyperparameter or ContentType text/csv;header=present)."
            : $"{shown} {e.Message}.");
}
