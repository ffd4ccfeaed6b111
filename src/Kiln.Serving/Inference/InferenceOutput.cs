using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Core.Serving;
using Kiln.Core.Training;

namespace Kiln.Serving.Inference;

/// <summary>
/// Autopilot's inference response keys, chosen by the model container's <c>SAGEMAKER_INFERENCE_OUTPUT</c>
/// (e.g. <c>predicted_label,probability,labels,probabilities</c>), answered in the order given: CSV as one line
/// per row with the lists quoted (<c>M,0.98,"['B', 'M']","[0.02, 0.98]"</c>), JSON as an object per row with
/// those keys. <c>probability</c> is the probability of the predicted label (Autopilot's ensemble models).
/// </summary>
public sealed class InferenceOutput
{
    private const string Variable = InferenceResponseKeys.Variable;

    private InferenceOutput(IReadOnlyList<string> keys) => Keys = keys;

    public IReadOnlyList<string> Keys { get; }

    /// <summary>The keys a model's environment asks for, or null when it does not set them.</summary>
    public static InferenceOutput? From(IReadOnlyDictionary<string, string> environment)
    {
        if (!environment.TryGetValue(Variable, out var value) || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return InferenceResponseKeys.Problem(value) is { } problem
            ? throw new PayloadException(400, problem)
            : new InferenceOutput(InferenceResponseKeys.Parse(value));
    }

    public byte[] Csv(IReadOnlyList<PredictionRow> predictions)
    {
        var text = new StringBuilder();
        foreach (var prediction in predictions)
        {
            for (var i = 0; i < Keys.Count; i++)
            {
                text.Append(i > 0 ? "," : "").Append(Keys[i] switch
                {
                    "predicted_label" => prediction.Label is { } label ? Quoted(label) : Number(prediction.Value),
                    "probability" => Number(Probability(prediction)),
                    "probabilities" => Quoted("[" + string.Join(", ", Classified(prediction, "probabilities").Probabilities!.Select(Number)) + "]"),
                    _ => Quoted("[" + string.Join(", ", Labels(prediction).Select(label => $"'{label}'")) + "]"),
                });
            }

            text.Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>JSON: <c>{"predictions": [{…}]}</c>; JSON Lines: one object a line.</summary>
    public byte[] Json(IReadOnlyList<PredictionRow> predictions, bool lines)
    {
        using var buffer = new MemoryStream();
        if (!lines)
        {
            using var json = new Utf8JsonWriter(buffer);
            json.WriteStartObject();
            json.WriteStartArray("predictions");
            foreach (var prediction in predictions)
            {
                Write(json, prediction);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
            return buffer.ToArray();
        }

        foreach (var prediction in predictions)
        {
            using (var json = new Utf8JsonWriter(buffer))
            {
                Write(json, prediction);
            }

            buffer.WriteByte((byte)'\n');
        }

        return buffer.ToArray();
    }

    private void Write(Utf8JsonWriter json, PredictionRow prediction)
    {
        json.WriteStartObject();
        foreach (var key in Keys)
        {
            json.WritePropertyName(key);
            switch (key)
            {
                case "predicted_label" when prediction.Label is { } label:
                    json.WriteStringValue(label);
                    break;
                case "predicted_label":
                    json.WriteNumberValue(prediction.Value);
                    break;
                case "probability":
                    json.WriteNumberValue(Probability(prediction));
                    break;
                case "probabilities":
                    json.WriteStartArray();
                    foreach (var p in Classified(prediction, key).Probabilities!)
                    {
                        json.WriteNumberValue(p);
                    }

                    json.WriteEndArray();
                    break;
                default:
                    json.WriteStartArray();
                    foreach (var label in Labels(prediction))
                    {
                        json.WriteStringValue(label);
                    }

                    json.WriteEndArray();
                    break;
            }
        }

        json.WriteEndObject();
    }

    private static double Probability(PredictionRow prediction)
    {
        var probabilities = Classified(prediction, "probability").Probabilities!;
        var index = prediction.Label is { } label && prediction.Classes is { } classes ? IndexOf(classes, label) : -1;
        return index >= 0 && index < probabilities.Count ? probabilities[index] : probabilities.Max();
    }

    private static IReadOnlyList<string> Labels(PredictionRow prediction)
    {
        var probabilities = Classified(prediction, "labels").Probabilities!;
        return prediction.Classes ?? Enumerable.Range(0, probabilities.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
    }

    private static int IndexOf(IReadOnlyList<string> classes, string label)
    {
        for (var i = 0; i < classes.Count; i++)
        {
            if (classes[i] == label)
            {
                return i;
            }
        }

        return -1;
    }

    private static PredictionRow Classified(PredictionRow prediction, string key) =>
        prediction.Probabilities is { Count: > 0 }
            ? prediction
            : throw new PayloadException(400, $"{Variable} asks for {key}, but this model is not a classifier: it answers predicted_label only.");

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Quoted(string text) =>
        text.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
