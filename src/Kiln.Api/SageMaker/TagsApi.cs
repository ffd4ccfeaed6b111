using Kiln.Api.SageMaker.Shapes;
using Kiln.Core.Common;
using CoreTag = Kiln.Core.Tracking.Tag;

namespace Kiln.Api.SageMaker;

/// <summary>
/// AddTags, ListTags and DeleteTags on any resource Kiln's Create calls tag, by ARN. The tags are the same
/// records Create wrote, so Describe, Search and MLflow see what these calls change. A resource holds at most
/// 50 tags; <c>aws:</c> keys are AWS's and <c>kiln:</c> keys are what Kiln itself marks resources with
/// (<c>kiln:routing</c>, <c>kiln:automl-job</c>): both are listed but cannot be added or removed here.
/// </summary>
internal static class TagsApi
{
    public const int MaxTagsPerResource = 50;
    private const int DefaultMaxResults = 50;

    public static void Register()
    {
        SageMakerApi.Add<AddTagsInput>("AddTags", AddAsync);
        SageMakerApi.Add<ListTagsInput>("ListTags", ListAsync);
        SageMakerApi.Add<DeleteTagsInput>("DeleteTags", DeleteAsync);
    }

    private static async Task<object?> AddAsync(AddTagsInput request, SageMakerCall call)
    {
        var target = await TagTargets.FindAsync(request.ResourceArn!, call);
        var tags = request.Tags!.Select(tag => new CoreTag(tag.Key!, tag.Value!)).ToList();
        var repeated = tags.GroupBy(tag => tag.Key, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1);
        if (repeated is not null)
        {
            throw new SageMakerException("ValidationException", $"Tag keys must be unique per resource; the key '{repeated.Key}' is given more than once.");
        }

        // Re-adding a tag exactly as it is changes nothing, so it is accepted even on a key these calls cannot
        // change (the SDK's upsert adds back every tag ListTags listed).
        var current = await target.ReadAsync(call.Aborted);
        tags = tags.Where(tag => !current.Contains(tag)).ToList();
        foreach (var tag in tags)
        {
            CheckWritable(target, tag.Key);
        }

        var visible = Visible(target, current);
        var total = visible.Select(tag => tag.Key).Union(tags.Select(tag => tag.Key), StringComparer.Ordinal).Count();
        if (total > MaxTagsPerResource)
        {
            throw new SageMakerException("ValidationException", $"A resource can have at most {MaxTagsPerResource} tags: {target.Arn} has {visible.Count}, and these would make {total}.");
        }

        await target.WriteAsync(tags, [], call.Aborted);
        return new AddTagsOutput(Visible(target, await target.ReadAsync(call.Aborted)).Select(Shape).ToList());
    }

    private static async Task<object?> ListAsync(ListTagsInput request, SageMakerCall call)
    {
        var target = await TagTargets.FindAsync(request.ResourceArn!, call);
        var visible = Visible(target, await target.ReadAsync(call.Aborted));
        Page<CoreTag> page;
        try
        {
            page = PageToken.Slice(visible, request.NextToken, request.MaxResults ?? DefaultMaxResults);
        }
        catch (KilnException e) when (e.Code == ErrorCode.InvalidParameterValue)
        {
            throw new SageMakerException("ValidationException", $"Invalid NextToken: {request.NextToken}");
        }

        return new ListTagsOutput(page.Items.Select(Shape).ToList(), page.NextPageToken);
    }

    private static async Task<object?> DeleteAsync(DeleteTagsInput request, SageMakerCall call)
    {
        if (request.TagKeys!.FirstOrDefault(key => key.Length is < 1 or > 128) is { } bad)
        {
            throw new SageMakerException("ValidationException", $"1 validation error detected: Value '{bad}' at 'tagKeys' failed to satisfy constraint: Member must have length between 1 and 128");
        }

        var target = await TagTargets.FindAsync(request.ResourceArn!, call);
        foreach (var key in request.TagKeys!)
        {
            CheckWritable(target, key);
        }

        await target.WriteAsync([], request.TagKeys!, call.Aborted);
        return null;
    }

    /// <summary>The tags ListTags would list for the resource.</summary>
    public static async Task<List<Tag>> VisibleAsync(string arn, SageMakerCall call)
    {
        var target = await TagTargets.FindAsync(arn, call);
        return Visible(target, await target.ReadAsync(call.Aborted)).Select(Shape).ToList();
    }

    private static void CheckWritable(TagTarget target, string key)
    {
        if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
        {
            throw new SageMakerException("ValidationException", $"Tag keys starting with 'aws:' are reserved for AWS use: '{key}'.");
        }

        if (key.StartsWith("kiln:", StringComparison.Ordinal) || target.IsInternal(key))
        {
            throw new SageMakerException("ValidationException", $"The tag key '{key}' is one Kiln keeps its own records under on {target.Arn}; it cannot be added or deleted with AddTags or DeleteTags.");
        }
    }

    private static List<CoreTag> Visible(TagTarget target, IReadOnlyList<CoreTag> tags) => tags.Where(tag => !target.IsInternal(tag.Key)).ToList();

    private static Tag Shape(CoreTag tag) => new() { Key = tag.Key, Value = tag.Value };
}
