using Verify.IommuModel.Host;

namespace Verify.Oracle.Host;

/// <summary>
/// A process's memory as the scenario declared it (docs/semantics.md 5.3): virtual runs backed by host physical runs, and
/// reserved physical ranges (another device's BAR: never refcounted, never charged). The oracle resolves addresses
/// itself, one piece per run, instead of asking the host model.
/// </summary>
/// <param name="Runs">The backed virtual runs.</param>
/// <param name="Reserved">The reserved physical ranges.</param>
/// <param name="RlimitMemlock"><c>RLIMIT_MEMLOCK</c> in bytes.</param>
/// <param name="CapIpcLock">Whether the limit is ignored.</param>
public sealed record DeclaredMemory(IReadOnlyList<VirtualRun> Runs, IReadOnlyList<PhysicalRange> Reserved, ulong RlimitMemlock, bool CapIpcLock)
{
    /// <summary>The physical pieces behind <c>[hva, hva + size)</c>.</summary>
    /// <param name="hva">First virtual address.</param>
    /// <param name="size">Bytes.</param>
    /// <param name="pieces">The backed pieces, in address order, each with whether it is reserved.</param>
    /// <returns>Whether every byte is backed.</returns>
    public bool Resolve(ulong hva, ulong size, out List<(UInt128 Hpa, UInt128 Size, bool Reserved)> pieces)
    {
        pieces = [];
        UInt128 at = hva, end = (UInt128)hva + size;
        while (at < end)
        {
            var run = Runs.FirstOrDefault(r => r.Hva <= at && at < r.End);
            if (run.Size == 0)
            {
                return false;
            }

            UInt128 to = UInt128.Min(end, run.End);
            UInt128 hpa = run.Hpa + (at - run.Hva);
            // A reserved range may cover part of a run: cut the piece at its edges.
            for (UInt128 p = hpa, stop = hpa + (to - at); p < stop;)
            {
                bool reserved = IsReserved(p);
                UInt128 next = stop;
                foreach (var r in Reserved)
                {
                    if (r.Hpa > p && r.Hpa < next)
                    {
                        next = r.Hpa;
                    }

                    if (r.End > p && r.End < next && r.Hpa <= p)
                    {
                        next = r.End;
                    }
                }

                pieces.Add((p, next - p, reserved));
                p = next;
            }

            at = to;
        }

        return true;
    }

    /// <summary>Whether a host physical address is reserved.</summary>
    /// <param name="hpa">The address.</param>
    /// <returns>Whether a reserved range holds it.</returns>
    public bool IsReserved(UInt128 hpa) => Reserved.Any(r => r.Hpa <= hpa && hpa < r.End);
}
