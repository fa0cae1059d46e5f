namespace Verify.IommuModel;

/// <summary>
/// The Linux error numbers the modelled kernel calls return, with their Linux numeric values.
/// A modelled kernel error is a value of this type, never an exception.
/// </summary>
public enum Errno
{
    /// <summary>No error: the call succeeded.</summary>
    None = 0,

    /// <summary>Operation not permitted.</summary>
    EPERM = 1,

    /// <summary>No such file or directory (no such object).</summary>
    ENOENT = 2,

    /// <summary>Interrupted system call.</summary>
    EINTR = 4,

    /// <summary>Argument list too long.</summary>
    E2BIG = 7,

    /// <summary>Out of memory (a page-table page or pinned memory could not be had).</summary>
    ENOMEM = 12,

    /// <summary>Permission denied.</summary>
    EACCES = 13,

    /// <summary>Bad address.</summary>
    EFAULT = 14,

    /// <summary>Device or resource busy.</summary>
    EBUSY = 16,

    /// <summary>Already exists (ARM io-pgtable: mapping over a live leaf).</summary>
    EEXIST = 17,

    /// <summary>Invalid argument (misaligned or empty request).</summary>
    EINVAL = 22,

    /// <summary>No space left (no mapping slots).</summary>
    ENOSPC = 28,

    /// <summary>Result out of range (an IOVA beyond the table's input address width).</summary>
    ERANGE = 34,

    /// <summary>Resource deadlock would occur.</summary>
    EDEADLK = 35,

    /// <summary>Value too large (an address computation wraps).</summary>
    EOVERFLOW = 75,

    /// <summary>Address already in use (generic_pt: mapping over a live leaf or an occupied sub-table).</summary>
    EADDRINUSE = 98,
}
