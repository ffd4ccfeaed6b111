namespace Kiln.Api.SageMaker.Validation;

// Constraints from botocore's sagemaker service model, written on the request shapes so each
// shape reads like the model. ShapeValidator turns violations into AWS's ValidationException text.

/// <summary>The member is required ("Member must not be null").</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class AwsRequiredAttribute : Attribute;

/// <summary>Length bounds for a string, list or map.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class AwsLengthAttribute(int min, int max = int.MaxValue) : Attribute
{
    public int Min { get; } = min;

    public int Max { get; } = max;
}

/// <summary>A string that must match this regular expression in full.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class AwsPatternAttribute(string pattern) : Attribute
{
    public string Pattern { get; } = pattern;
}

/// <summary>Value bounds for a number.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class AwsRangeAttribute(long min, long max = long.MaxValue) : Attribute
{
    public long Min { get; } = min;

    public long Max { get; } = max;
}

/// <summary>A string from a closed set.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class AwsEnumAttribute(params string[] values) : Attribute
{
    public IReadOnlyList<string> Values { get; } = values;
}

/// <summary>Bounds on a string map's keys and values.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class AwsMapAttribute(int keyMax, int valueMax) : Attribute
{
    public int KeyMax { get; } = keyMax;

    public int ValueMax { get; } = valueMax;
}
