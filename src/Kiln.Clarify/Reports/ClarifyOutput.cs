using Kiln.Clarify.Config;

namespace Kiln.Clarify.Reports;

/// <summary>Writes a finished analysis into the processing job's output directory, with Clarify's file names.</summary>
public static class ClarifyOutput
{
    public const string AnalysisFile = "analysis.json";
    public const string LocalShapFile = "explanations_shap/out.csv";

    /// <summary>
    /// analysis.json always; {report.name}.html when the config asks for a report; the local SHAP values when shap
    /// ran with save_local_shap_values. Returns the relative paths written.
    /// </summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(string directory, AnalysisConfig config, AnalysisResult result, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string> { AnalysisFile };
        await File.WriteAllTextAsync(Path.Combine(directory, AnalysisFile), AnalysisJson.Write(result), cancellationToken);
        if (config.Methods.Report is { } report)
        {
            var file = report.Name + ".html";
            await File.WriteAllTextAsync(Path.Combine(directory, file), HtmlReport.Write(result, report.Title), cancellationToken);
            written.Add(file);
        }
        if (result.Shap is { } shap && config.Methods.Shap is { SaveLocalShapValues: true })
        {
            var path = Path.Combine(directory, LocalShapFile);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, AnalysisJson.LocalValuesCsv(shap), cancellationToken);
            written.Add(LocalShapFile);
        }
        return written;
    }
}
