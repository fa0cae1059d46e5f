using Verify.IommuModel.Host;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.Oracle.Dma;
using Verify.Oracle.Host;
using Verify.Vfio;

namespace Verify.Oracle.Type1;

/// <summary>
/// What the kernel answers a listener's MAP_DMA or UNMAP_DMA (docs/semantics.md 5.1-5.3), in the kernel's order: flags,
/// alignment, wrap; overlap and slots (the list-scan <see cref="Type1Ledger"/>); the valid IOVA range; the memlock
/// limit and the host memory behind the range (resolved from the process's declared memory). UNMAP checks alignment
/// first and follows v1's rule under v1.
/// </summary>
public static class Type1CallRules
{
    /// <summary>The result the kernel gives one call, and the ledger after it.</summary>
    /// <param name="options">The container's variant.</param>
    /// <param name="hasDomain">Whether the container has an IOMMU domain (only then does MAP pin).</param>
    /// <param name="traits">The container's rules as the ledger applies them.</param>
    /// <param name="ledger">The live mappings before the call; replaced by those after it.</param>
    /// <param name="operation">The call.</param>
    /// <param name="call">What the kernel saw: the host address and the charge before the call.</param>
    /// <param name="memory">The process's declared memory.</param>
    /// <returns>The kernel's answer.</returns>
    public static DmaResult Expected(Type1Options options, bool hasDomain, DmaBackendTraits traits, ref Type1Ledger ledger, DmaOperation operation, Type1CallFacts call, DeclaredMemory memory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(memory);
        ulong mask = options.MinPageSize - 1;
        switch (operation)
        {
            case DmaOperation.Map m:
            {
                if (m.Mapping.Iova.Size > ulong.MaxValue)
                {
                    return DmaResult.Fail(Errno.EINVAL);
                }

                ulong iova = m.Mapping.Iova.Start, size = (ulong)m.Mapping.Iova.Size, vaddr = call.Vaddr;
                if (((iova | vaddr | size) & mask) != 0)
                {
                    return DmaResult.Fail(Errno.EINVAL);
                }

                if ((UInt128)iova + size > AddressSpace.End || (UInt128)vaddr + size > AddressSpace.End)
                {
                    return DmaResult.Fail(options.WrapErrno);
                }

                var result = ledger.Apply(operation);
                if (!result.Succeeded)
                {
                    return result;
                }

                var late = !options.ValidIovaRanges.Any(r => r.Start <= iova && (UInt128)iova + size <= r.End) ? Errno.EINVAL
                    : hasDomain ? PinRefusal(memory, call, size, options.Accounting)
                    : Errno.None;
                if (late != Errno.None)
                {
                    ledger = new Type1Ledger(traits, ledger.Mappings.Where(x => x.Iova.Start != iova));
                    return DmaResult.Fail(late);
                }

                return result;
            }

            case DmaOperation.Unmap u:
            {
                var range = u.Iova;
                if ((range.Start & mask) != 0 || range.Size == 0 || range.Size > ulong.MaxValue || ((ulong)range.Size & mask) != 0)
                {
                    return DmaResult.Fail(Errno.EINVAL);
                }

                return options.Version == Type1Version.V1 ? UnmapV1(traits, ref ledger, range) : ledger.Apply(operation);
            }

            default:
                return ledger.Apply(operation);
        }
    }

    // v1: a request starting inside its first mapping removes nothing and returns 0; otherwise every mapping whose
    // first byte it covers goes whole, even one the request ends inside.
    private static DmaResult UnmapV1(DmaBackendTraits traits, ref Type1Ledger ledger, AddressRange range)
    {
        var touched = ledger.Mappings.Where(x => x.Iova.End > range.Start && x.Iova.Start < range.End).ToList();
        if (touched.Count == 0 || touched.Any(x => x.Iova.Start < range.Start))
        {
            return DmaResult.Ok(0);
        }

        UInt128 total = 0;
        foreach (var x in touched)
        {
            total += x.Iova.Size;
        }

        ledger = new Type1Ledger(traits, ledger.Mappings.Except(touched));
        return DmaResult.Ok(total);
    }

    // Step 7 of MAP: the pages behind the host range are pinned and charged; over the limit without CAP_IPC_LOCK is
    // ENOMEM, a hole in the host range is EFAULT (after the backed part was charged, so ENOMEM wins).
    private static Errno PinRefusal(DeclaredMemory memory, Type1CallFacts call, ulong size, AccountingMode mode)
    {
        bool backed = memory.Resolve(call.Vaddr, size, out var pieces);
        UInt128 bytes = 0;
        foreach (var p in pieces.Where(p => !p.Reserved))
        {
            bytes += p.Size;
        }

        UInt128 charge = mode == AccountingMode.PerMapping ? bytes : bytes - call.PinnedBefore;
        if (!memory.CapIpcLock && (UInt128)call.LockedVmBefore + charge > memory.RlimitMemlock)
        {
            return Errno.ENOMEM;
        }

        return backed ? Errno.None : Errno.EFAULT;
    }
}

/// <summary>What the kernel saw when a listener's call reached a type1 container.</summary>
/// <param name="Vaddr">The host virtual address of a MAP (0 for an UNMAP).</param>
/// <param name="LockedVmBefore">The process's <c>locked_vm</c> before the call.</param>
/// <param name="PinnedBefore">Bytes of the MAP's range already pinned before it (what shared accounting does not
/// charge again).</param>
public readonly record struct Type1CallFacts(ulong Vaddr, ulong LockedVmBefore, ulong PinnedBefore);
