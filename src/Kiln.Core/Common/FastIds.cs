namespace Kiln.Core.Common;

/// <summary>
/// Random v4-shaped GUIDs from a fast pseudo-random generator, for ids that must be unique but not
/// unguessable (request ids, inference ids, capture event ids). Guid.NewGuid asks the kernel for entropy on
/// every call, a system call per id on the invocation path.
/// </summary>
public static class FastIds
{
    public static Guid Next()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (Guid's byte order puts it in the high nibble of byte 7)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }
}
