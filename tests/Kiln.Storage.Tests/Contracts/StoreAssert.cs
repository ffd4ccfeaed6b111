using Kiln.Core.Common;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>Assertions shared by the store contracts.</summary>
internal static class StoreAssert
{
    public static async Task<KilnException> FailsWith(ErrorCode code, Func<Task> action)
    {
        var error = await Assert.ThrowsAsync<KilnException>(action);
        Assert.Equal(code, error.Code);
        return error;
    }
}
