namespace Verify.MemoryMap;

/// <summary>Linux errno values the modelled kernel interfaces return (numbers are Linux's, x86-64).</summary>
public enum Errno
{
    /// <summary>Success.</summary>
    None = 0,

    /// <summary>Operation not permitted.</summary>
    EPERM = 1,

    /// <summary>No such entry (iommufd unmap of a range that is not a union of whole areas).</summary>
    ENOENT = 2,

    /// <summary>Argument list too long (more than 512 pages pinned at once).</summary>
    E2BIG = 7,

    /// <summary>Out of memory (RLIMIT_MEMLOCK).</summary>
    ENOMEM = 12,

    /// <summary>Permission denied.</summary>
    EACCES = 13,

    /// <summary>Bad address.</summary>
    EFAULT = 14,

    /// <summary>Resource busy.</summary>
    EBUSY = 16,

    /// <summary>Exists: a MAP overlapping a live mapping.</summary>
    EEXIST = 17,

    /// <summary>Invalid argument: misalignment, a bisecting UNMAP under type1 v2.</summary>
    EINVAL = 22,

    /// <summary>No space: no mapping slot left (dma_entry_limit).</summary>
    ENOSPC = 28,

    /// <summary>Result out of range (an IOVA beyond a page table's input address width, as ARM returns it).</summary>
    ERANGE = 34,

    /// <summary>Deadlock avoided (iommufd access unmap retries exhausted).</summary>
    EDEADLK = 35,

    /// <summary>Value too large (newer kernels' MAP wrap check).</summary>
    EOVERFLOW = 75,

    /// <summary>Address in use (generic_pt map over a live leaf).</summary>
    EADDRINUSE = 98,
}
