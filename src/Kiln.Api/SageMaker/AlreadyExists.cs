using Kiln.Core.Common;

namespace Kiln.Api.SageMaker;

/// <summary>
/// SageMaker answers a duplicate name of a pipeline, experiment, trial, trial component, action or context with
/// ValidationException ("... already exists"), not ResourceInUse: the SageMaker Python SDK's pipeline upsert and
/// its experiments' load-or-create match exactly that code and phrase before they update or load instead.
/// </summary>
internal static class AlreadyExists
{
    public static async Task<T> AsValidationAsync<T>(Task<T> create, string message)
    {
        try
        {
            return await create;
        }
        catch (KilnException e) when (e.Code is ErrorCode.ResourceInUse or ErrorCode.ResourceAlreadyExists)
        {
            throw new SageMakerException("ValidationException", message);
        }
    }
}
