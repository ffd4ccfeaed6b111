using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Kiln.Api.Generators;

/// <summary>
/// Generates the SageMaker request and response shapes from the trimmed botocore model kept in the repository
/// (AdditionalFiles sagemaker-shapes.json and operations.txt). The model is checked against operations.txt so
/// an operation added to the list without re-running tools/sagemaker-model/trim.py fails the build.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class SageMakerShapesGenerator : IIncrementalGenerator
{
    private const string Namespace = "Kiln.Api.SageMaker.Generated";

    private static readonly DiagnosticDescriptor Stale = new(
        "KILN001", "SageMaker shapes out of date", "operations.txt lists {0}, which sagemaker-shapes.json does not hold: run python3 tools/sagemaker-model/trim.py",
        "Kiln.Generators", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor Unreadable = new(
        "KILN002", "SageMaker shapes unreadable", "sagemaker-shapes.json could not be read: {0}",
        "Kiln.Generators", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor BadPattern = new(
        "KILN003", "SageMaker pattern is not a .NET regular expression", "shape {0}: pattern {1} does not compile as a .NET regular expression ({2}): translate it in tools/sagemaker-model/trim.py",
        "Kiln.Generators", DiagnosticSeverity.Error, isEnabledByDefault: true);

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var files = context.AdditionalTextsProvider
            .Where(file => Path.GetFileName(file.Path) is "sagemaker-shapes.json" or "operations.txt")
            .Select((file, ct) => (Name: Path.GetFileName(file.Path), Text: file.GetText(ct)?.ToString() ?? ""))
            .Collect();
        context.RegisterSourceOutput(files, static (output, files) =>
        {
            var json = files.FirstOrDefault(file => file.Name == "sagemaker-shapes.json").Text;
            if (string.IsNullOrEmpty(json))
            {
                return;
            }

            ServiceModel model;
            string code;
            try
            {
                model = ServiceModel.Read(json);
                code = ShapeWriter.Write(model, Namespace);
            }
            catch (Exception e) when (e is FormatException or KeyNotFoundException or InvalidCastException)
            {
                output.ReportDiagnostic(Diagnostic.Create(Unreadable, Location.None, e.Message));
                return;
            }

            var listed = (files.FirstOrDefault(file => file.Name == "operations.txt").Text ?? "")
                .Split('\n')
                .Select(line => line.Trim())
                .Where(line => line.Length > 0 && !line.StartsWith("#", StringComparison.Ordinal));
            var missing = listed.Where(operation => !model.Operations.Contains(operation)).ToList();
            if (missing.Count > 0)
            {
                output.ReportDiagnostic(Diagnostic.Create(Stale, Location.None, string.Join(", ", missing)));
                return;
            }

            // botocore's patterns are Java regular expressions; one .NET cannot compile would fail every request that reaches it.
            foreach (var shape in model.Shapes.Values.Where(shape => shape.Pattern is not null))
            {
                try
                {
                    _ = new Regex($"^(?:{shape.Pattern})$", RegexOptions.CultureInvariant | RegexOptions.Singleline);
                }
                catch (ArgumentException e)
                {
                    output.ReportDiagnostic(Diagnostic.Create(BadPattern, Location.None, shape.Name, shape.Pattern, e.Message));
                }
            }

            output.AddSource("SageMakerShapes.g.cs", SourceText.From(code, System.Text.Encoding.UTF8));
        });
    }
}
