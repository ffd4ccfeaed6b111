using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Kiln.Api.SageMaker.Validation;

/// <summary>
/// Checks a deserialized request against the constraints on its shape and reports every violation
/// the way AWS does: "2 validation errors detected: Value 'x' at 'trainingJobName' failed to satisfy
/// constraint: Member must satisfy regular expression pattern: …; Value null at …".
/// </summary>
internal static class ShapeValidator
{
    private static readonly ConcurrentDictionary<Type, Member[]> Members = new();
    private static readonly ConcurrentDictionary<string, Regex> Patterns = new();

    public static void Validate(object request)
    {
        var errors = new List<string>();
        Visit(request, "", errors);
        if (errors.Count > 0)
        {
            var count = errors.Count == 1 ? "1 validation error detected" : $"{errors.Count} validation errors detected";
            throw new SageMakerException("ValidationException", $"{count}: {string.Join("; ", errors)}");
        }
    }

    private static void Visit(object shape, string path, List<string> errors)
    {
        foreach (var member in Members.GetOrAdd(shape.GetType(), Describe))
        {
            var value = member.Property.GetValue(shape);
            var at = path.Length == 0 ? member.WireName : $"{path}.{member.WireName}";
            Check(member, value, at, errors);
            switch (value)
            {
                case null or string:
                    break;
                case IDictionary:
                    break;
                case IEnumerable items:
                    var index = 1;
                    foreach (var item in items)
                    {
                        if (item is not null && IsShape(item.GetType()))
                        {
                            Visit(item, $"{at}.{index}.member", errors);
                        }
                        else if (item is string text && member.ItemConstraints is { } constraints)
                        {
                            CheckString(constraints, text, $"{at}.{index}.member", errors);
                        }

                        index++;
                    }

                    break;
                default:
                    if (IsShape(value.GetType()))
                    {
                        Visit(value, at, errors);
                    }

                    break;
            }
        }
    }

    private static void Check(Member member, object? value, string at, List<string> errors)
    {
        if (value is null)
        {
            if (member.Required)
            {
                errors.Add($"Value null at '{at}' failed to satisfy constraint: Member must not be null");
            }

            return;
        }

        switch (value)
        {
            case string text:
                CheckString(member, text, at, errors);
                break;
            case IDictionary map:
                if (member.Length is { } mapLength)
                {
                    CheckLength(map.Count, mapLength, Shown(value), at, errors);
                }

                if (member.Map is { } bounds)
                {
                    foreach (DictionaryEntry entry in map)
                    {
                        if (((string)entry.Key).Length > bounds.KeyMax)
                        {
                            errors.Add($"Value '{entry.Key}' at '{at}' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to {bounds.KeyMax}]");
                        }

                        if (entry.Value is string mapValue && mapValue.Length > bounds.ValueMax)
                        {
                            errors.Add($"Value '{mapValue[..Math.Min(mapValue.Length, 64)]}…' at '{at}' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to {bounds.ValueMax}]");
                        }
                    }
                }

                break;
            case ICollection list:
                if (member.Length is { } listLength)
                {
                    CheckLength(list.Count, listLength, Shown(value), at, errors);
                }

                break;
            case int or long:
                var number = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                if (member.Range is { } range)
                {
                    if (number < range.Min)
                    {
                        errors.Add($"Value '{number}' at '{at}' failed to satisfy constraint: Member must have value greater than or equal to {range.Min}");
                    }
                    else if (number > range.Max)
                    {
                        errors.Add($"Value '{number}' at '{at}' failed to satisfy constraint: Member must have value less than or equal to {range.Max}");
                    }
                }

                break;
        }
    }

    private static void CheckString(IStringConstraints member, string text, string at, List<string> errors)
    {
        if (member.Length is { } length)
        {
            CheckLength(text.Length, length, $"'{text}'", at, errors);
        }

        if (member.Enum is { } values && !values.Contains(text))
        {
            errors.Add($"Value '{text}' at '{at}' failed to satisfy constraint: Member must satisfy enum value set: [{string.Join(", ", values)}]");
        }

        if (member.Pattern is { } pattern && !Patterns.GetOrAdd(pattern, p => new Regex($"^(?:{p})$", RegexOptions.CultureInvariant | RegexOptions.Singleline)).IsMatch(text))
        {
            errors.Add($"Value '{text}' at '{at}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}");
        }
    }

    private static void CheckLength(int actual, AwsLengthAttribute bounds, string shown, string at, List<string> errors)
    {
        if (actual < bounds.Min)
        {
            errors.Add($"Value {shown} at '{at}' failed to satisfy constraint: Member must have length greater than or equal to {bounds.Min}");
        }
        else if (actual > bounds.Max)
        {
            errors.Add($"Value {shown} at '{at}' failed to satisfy constraint: Member must have length less than or equal to {bounds.Max}");
        }
    }

    private static string Shown(object value) => value switch
    {
        ICollection { Count: > 3 } collection => $"[{collection.Count} items]",
        IDictionary map => "{" + string.Join(", ", map.Keys.Cast<object>()) + "}",
        IEnumerable items => "[" + string.Join(", ", items.Cast<object>()) + "]",
        _ => $"'{value}'",
    };

    /// <summary>Hand-written shapes live in Kiln.Api.SageMaker.Shapes, shapes generated from botocore's model in Kiln.Api.SageMaker.Generated.</summary>
    public static bool IsShape(Type type) => type.Namespace is "Kiln.Api.SageMaker.Shapes" or "Kiln.Api.SageMaker.Generated";

    private static Member[] Describe(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.GetIndexParameters().Length == 0)
            .Select(property => new Member(property))
            .ToArray();

    private interface IStringConstraints
    {
        AwsLengthAttribute? Length { get; }

        string? Pattern { get; }

        IReadOnlyList<string>? Enum { get; }
    }

    private sealed class Member : IStringConstraints
    {
        public Member(PropertyInfo property)
        {
            Property = property;
            WireName = char.ToLowerInvariant(property.Name[0]) + property.Name[1..];
            Required = property.GetCustomAttribute<AwsRequiredAttribute>() is not null;
            Length = property.GetCustomAttribute<AwsLengthAttribute>();
            Pattern = property.GetCustomAttribute<AwsPatternAttribute>()?.Pattern;
            Enum = property.GetCustomAttribute<AwsEnumAttribute>()?.Values;
            Range = property.GetCustomAttribute<AwsRangeAttribute>();
            Map = property.GetCustomAttribute<AwsMapAttribute>();
            ItemConstraints = property.PropertyType != typeof(string) && (Pattern is not null || Enum is not null) ? new ItemConstraint(Pattern, Enum) : null;
            if (ItemConstraints is not null)
            {
                // On a list of strings, the pattern and enum apply to the items, the length to the list.
                Pattern = null;
                Enum = null;
            }
        }

        public PropertyInfo Property { get; }

        public string WireName { get; }

        public bool Required { get; }

        public AwsLengthAttribute? Length { get; }

        public string? Pattern { get; }

        public IReadOnlyList<string>? Enum { get; }

        public AwsRangeAttribute? Range { get; }

        public AwsMapAttribute? Map { get; }

        public IStringConstraints? ItemConstraints { get; }
    }

    private sealed record ItemConstraint(string? Pattern, IReadOnlyList<string>? Enum) : IStringConstraints
    {
        public AwsLengthAttribute? Length => null;
    }
}
