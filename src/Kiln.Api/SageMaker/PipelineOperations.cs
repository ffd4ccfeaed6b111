using System.Collections;
using System.Reflection;
using System.Text.Json;
using Kiln.Api.SageMaker.Shapes;
using Kiln.Api.SageMaker.Validation;
using Kiln.Core.Pipelines;

namespace Kiln.Api.SageMaker;

/// <summary>
/// Pipeline steps call SageMaker operations in-process, as the user who started the execution. A step's
/// properties are its describe operation's output, so property paths are checked against those shapes.
/// </summary>
internal sealed class PipelineOperations(IServiceProvider services) : IPipelineOperations
{
    private static readonly Dictionary<string, Type> DescribeOutputs = new(StringComparer.Ordinal)
    {
        ["DescribeTrainingJob"] = typeof(DescribeTrainingJobResponse),
        ["DescribeProcessingJob"] = typeof(Generated.DescribeProcessingJobResponse),
        ["DescribeHyperParameterTuningJob"] = typeof(DescribeHyperParameterTuningJobResponse),
        ["DescribeTransformJob"] = typeof(DescribeTransformJobResponse),
        ["DescribeModel"] = typeof(DescribeModelResponse),
        ["DescribeModelPackage"] = typeof(DescribeModelPackageOutput),
    };

    public async Task<JsonElement> InvokeAsync(string operation, JsonElement request, string caller, CancellationToken ct = default)
    {
        try
        {
            return await SageMakerApi.InvokeAsync(services, new AwsCaller(caller, "us-east-1", "sagemaker"), operation, request, ct);
        }
        catch (SageMakerException e)
        {
            throw new PipelineOperationException(e.Type, e.Message);
        }
    }

    public string? CheckPropertyPath(string describeOperation, IReadOnlyList<PropertyPathSegment> path)
    {
        if (!DescribeOutputs.TryGetValue(describeOperation, out var type))
        {
            return $"{describeOperation} has no properties.";
        }

        foreach (var segment in path)
        {
            var property = type.GetProperty(segment.Member, BindingFlags.Public | BindingFlags.Instance);
            if (property is null || !IsShapeOrValue(type))
            {
                var members = IsShapeOrValue(type)
                    ? type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).Order(StringComparer.Ordinal).ToList()
                    : [];
                return members.Count == 0
                    ? $"'{segment.Member}' is below a value that has no members."
                    : $"there is no '{segment.Member}'; the members here are {string.Join(", ", members)}.";
            }

            type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            foreach (var index in segment.Indexes)
            {
                if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
                {
                    if (index.Key is null)
                    {
                        return $"{segment.Member} is a map: index it with a quoted key, such as ['name'].";
                    }

                    type = type.GetGenericArguments()[1];
                }
                else if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType)
                {
                    type = type.GetGenericArguments()[0];
                }
                else if (type == typeof(JsonElement))
                {
                    break;
                }
                else
                {
                    return $"{segment.Member} is not a list or a map, so it can't be indexed.";
                }
            }

            if (type == typeof(JsonElement))
            {
                return null;
            }
        }

        return null;
    }

    private static bool IsShapeOrValue(Type type) => ShapeValidator.IsShape(type);
}
