namespace Kiln.Api.Generators;

/// <summary>The trimmed service model (sagemaker-shapes.json): operations and the shapes they reach.</summary>
internal sealed class ServiceModel
{
    private ServiceModel(Dictionary<string, Shape> shapes, List<string> operations)
    {
        Shapes = shapes;
        Operations = operations;
    }

    public Dictionary<string, Shape> Shapes { get; }

    public List<string> Operations { get; }

    public static ServiceModel Read(string json)
    {
        var root = AsObject(MiniJson.Parse(json));
        var shapes = new Dictionary<string, Shape>(StringComparer.Ordinal);
        foreach (var entry in AsObject(Get(root, "shapes")))
        {
            shapes[entry.Key] = Shape.Read(entry.Key, AsObject(entry.Value));
        }

        var operations = AsObject(Get(root, "operations")).Select(entry => entry.Key).ToList();
        return new ServiceModel(shapes, operations);
    }

    internal static object? Get(List<KeyValuePair<string, object?>> members, string key) =>
        members.FirstOrDefault(member => member.Key == key).Value;

    internal static List<KeyValuePair<string, object?>> AsObject(object? value) =>
        value as List<KeyValuePair<string, object?>> ?? throw new FormatException("sagemaker-shapes.json: expected an object.");
}

/// <summary>One shape: a structure's members in model order, a list's item, a map's key and value, and its constraints.</summary>
internal sealed class Shape
{
    public string Name { get; private set; } = "";

    public string Type { get; private set; } = "";

    public List<(string Name, string Shape)> Members { get; } = [];

    public HashSet<string> Required { get; } = new(StringComparer.Ordinal);

    public string? Item { get; private set; }

    public string? Key { get; private set; }

    public string? Value { get; private set; }

    public long? Min { get; private set; }

    public long? Max { get; private set; }

    public string? Pattern { get; private set; }

    public List<string>? Enum { get; private set; }

    public static Shape Read(string name, List<KeyValuePair<string, object?>> json)
    {
        var shape = new Shape { Name = name, Type = (string)ServiceModel.Get(json, "type")! };
        if (ServiceModel.Get(json, "members") is List<KeyValuePair<string, object?>> members)
        {
            shape.Members.AddRange(members.Select(member => (member.Key, (string)ServiceModel.Get(ServiceModel.AsObject(member.Value), "shape")!)));
        }

        if (ServiceModel.Get(json, "required") is List<object?> required)
        {
            shape.Required.UnionWith(required.Cast<string>());
        }

        shape.Item = Target(json, "member");
        shape.Key = Target(json, "key");
        shape.Value = Target(json, "value");
        shape.Min = Number(ServiceModel.Get(json, "min"));
        shape.Max = Number(ServiceModel.Get(json, "max"));
        shape.Pattern = ServiceModel.Get(json, "pattern") as string;
        shape.Enum = (ServiceModel.Get(json, "enum") as List<object?>)?.Cast<string>().ToList();
        return shape;
    }

    private static string? Target(List<KeyValuePair<string, object?>> json, string key) =>
        ServiceModel.Get(json, key) is List<KeyValuePair<string, object?>> target ? ServiceModel.Get(target, "shape") as string : null;

    // Bounds that are not whole numbers (on doubles) are not checked by ShapeValidator, so they are dropped.
    private static long? Number(object? value) =>
        value is string text && long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : null;
}
