using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Kiln.Cli;

/// <summary>Console rendering shared by the commands: tables for people, indented JSON for scripts.</summary>
internal static class Output
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Json(JsonNode node) => Console.Out.WriteLine(node.ToJsonString(Indented));

    public static string Time(JsonNode? millis)
    {
        if (millis is null)
        {
            return "";
        }

        var value = millis.GetValue<long>();
        return DateTimeOffset.FromUnixTimeMilliseconds(value).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
    }

    public static string Number(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.TryGetValue<double>(out var number) => number.ToString("G6", CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    public static string Text(JsonNode? value) => Markup.Escape(value?.ToString() ?? "");

    public static int Fail(string message)
    {
        AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
        return 1;
    }

    public static IEnumerable<JsonObject> Objects(JsonNode? array) => array?.AsArray().OfType<JsonObject>() ?? [];

    /// <summary>The value of the <c>{key, value}</c> pair with this key in an MLflow list (tags, params).</summary>
    public static string? Pair(JsonNode? list, string key) =>
        Objects(list).FirstOrDefault(item => item["key"]?.GetValue<string>() == key)?["value"]?.ToString();
}
