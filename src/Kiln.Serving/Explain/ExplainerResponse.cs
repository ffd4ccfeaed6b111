using System.Text;
using System.Text.Json;
using Kiln.Core.Serving;

namespace Kiln.Serving.Explain;

/// <summary>
/// SageMaker Clarify's online explainer answer (schema version 1.0): the model's own answer under
/// <c>predictions</c> (its content type and text), <c>label_headers</c> when configured, and <c>explanations</c>:
/// <c>{}</c> when no record was explained, else <c>kernel_shap</c> with one entry per record (null for a record
/// not explained), each a list per feature of <c>{feature_header?, feature_type?, attributions: [{attribution: [φ]}]}</c>.
/// </summary>
internal static class ExplainerResponse
{
    public static byte[] Write(string contentType, ReadOnlyMemory<byte> predictions, ClarifyInferenceSpec? inference, double[]?[]? values)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            json.WriteStartObject("predictions");
            json.WriteString("content_type", contentType);
            json.WriteString("data", Encoding.UTF8.GetString(predictions.Span));
            json.WriteEndObject();
            if (inference?.LabelHeaders is { } labels)
            {
                json.WriteStartArray("label_headers");
                foreach (var label in labels)
                {
                    json.WriteStringValue(label);
                }

                json.WriteEndArray();
            }

            json.WriteStartObject("explanations");
            if (values is not null)
            {
                json.WriteStartArray("kernel_shap");
                foreach (var record in values)
                {
                    WriteRecord(json, record, inference);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteRecord(Utf8JsonWriter json, double[]? attributions, ClarifyInferenceSpec? inference)
    {
        if (attributions is null)
        {
            json.WriteNullValue();
            return;
        }

        json.WriteStartArray();
        for (var j = 0; j < attributions.Length; j++)
        {
            json.WriteStartObject();
            if (inference?.FeatureHeaders is { } headers && j < headers.Count)
            {
                json.WriteString("feature_header", headers[j]);
            }

            if (inference?.FeatureTypes is { } types && j < types.Count)
            {
                json.WriteString("feature_type", types[j]);
            }

            json.WriteStartArray("attributions");
            json.WriteStartObject();
            json.WriteStartArray("attribution");
            json.WriteNumberValue(attributions[j]);
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
