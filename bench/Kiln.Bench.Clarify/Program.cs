// Kiln's Kernel SHAP on a fixed in-process model: explains <rows> rows of <features> features against
// <baseline> baseline rows with <samples> coalitions per row (default: shap's 2·M + 2048). The model is a
// logistic regression with fixed weights plus one interaction term, scored from the CSV cells the way an
// endpoint would receive them. Runs four times in one process and prints JSON: "cold" is the first run
// (JIT warm-up included), "seconds" the median of the last three, "cpu_seconds" their CPU time (all threads),
// which a busy shared machine inflates less than wall time, and "model_seconds" the part spent inside the model
// (parsing 22 CSV cells per evaluation), the rest being Kiln's coalitions, synthetic rows and regressions.
// Usage: dotnet Kiln.Bench.Clarify.dll [rows] [features] [baseline] [samples]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Kiln.Clarify.Explainability;

var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
var features = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
var baselineRows = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
var samples = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : CoalitionPlan.DefaultSamples(features);

var random = new Random(42);
string?[][] Table(int count) => [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, features)
    .Select(_ => (string?)(random.NextDouble() * 4 - 2).ToString("0.####", CultureInfo.InvariantCulture)).ToArray())];
var data = Table(rows);
var baseline = Table(baselineRows);
var weights = Enumerable.Range(0, features).Select(i => Math.Sin(i + 1)).ToArray();
var model = new LogisticModel(weights);

var times = new List<double>();
var cpu = new List<double>();
var inModel = new List<double>();
double maxEfficiencyError = 0;
for (var run = 0; run < 4; run++)
{
    var clock = Stopwatch.StartNew();
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var modelBefore = model.Elapsed;
    var shap = await new KernelShap(model, new KernelShapOptions(samples, Seed: 0)).ExplainAsync(data, baseline, CancellationToken.None);
    times.Add(clock.Elapsed.TotalSeconds);
    inModel.Add((model.Elapsed - modelBefore).TotalSeconds);
    cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds);
    maxEfficiencyError = shap.Values.Select((v, r) => Math.Abs(v.Sum() - (shap.Predictions[r] - shap.ExpectedValue))).Max();
}
Console.WriteLine(JsonSerializer.Serialize(new
{
    rows,
    features,
    baseline = baselineRows,
    samples,
    model_evaluations = model.Evaluations / 4,
    seconds = times.Skip(1).Order().ElementAt(1),
    cold_seconds = times[0],
    cpu_seconds = cpu.Skip(1).Order().ElementAt(1),
    model_seconds = inModel.Skip(1).Order().ElementAt(1),
    max_efficiency_error = maxEfficiencyError,
}));

internal sealed class LogisticModel(double[] weights) : IBatchPredictor
{
    public long Evaluations { get; private set; }

    public TimeSpan Elapsed { get; private set; }

    public Task<double[]> PredictAsync(IReadOnlyList<string?[]> rows, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Evaluations += rows.Count;
        var scores = new double[rows.Count];
        Parallel.For(0, rows.Count, r =>
        {
            var x = rows[r];
            var z = 0.1;
            for (var i = 0; i < weights.Length; i++)
            {
                z += weights[i] * double.Parse(x[i]!, CultureInfo.InvariantCulture);
            }
            z += 0.5 * double.Parse(x[0]!, CultureInfo.InvariantCulture) * double.Parse(x[1]!, CultureInfo.InvariantCulture);
            scores[r] = 1 / (1 + Math.Exp(-z));
        });
        Elapsed += clock.Elapsed;
        return Task.FromResult(scores);
    }
}
