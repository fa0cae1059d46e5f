using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.Type1;
using Verify.Harness.Running;
using Verify.IommuModel.Host;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Dma;

namespace Verify.Harness.Suites;

/// <summary>
/// Group T1 of PROPERTIES.md: the VFIO type1 container against the page-by-page oracle (SEMANTICS.md 5).
/// Every case runs under v1 and v2 unless the property is about one mode.
/// </summary>
[PropertySuite("Type1")]
public static class Type1Properties
{
    private const string Suite = "Type1";

    /// <summary>T1-01 .. T1-05.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        ResultsAgreeWithOracle(c => new Type1Rig(c)),
    ];

    /// <summary>T1-01 over containers built by <paramref name="build"/>; the catalogue builds the real container,
    /// a demonstration passes a deliberately broken one.</summary>
    /// <param name="build">Builds the rig for a case.</param>
    /// <returns>The definition.</returns>
    public static PropertyDefinition ResultsAgreeWithOracle(Func<Type1Case, Type1Rig> build) =>
        new("T1-01", "P_T1_01_ErrnoAndSizeAgreeWithOracle", Suite,
            () => Prop.ForAll(Type1Generators.Cases(), c => ResultsAgreeWithOracle(c, build)));

    private static Property ResultsAgreeWithOracle(Type1Case c, Func<Type1Case, Type1Rig> build)
    {
        var verdict = new Verdict();
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var version in new[] { Type1Version.V1, Type1Version.V2 })
        {
            var rig = build(c with { Options = c.Options with { Version = version } });
            for (int i = 0; i < c.Ops.Length; i++)
            {
                var op = c.Ops[i];
                var before = rig.Container.Type1Mappings;
                var got = rig.ApplyToModel(op);
                var want = Type1Rig.ApplyTo(rig.Oracle, op);
                if (got is null || want is null)
                {
                    continue;
                }

                verdict.Expect(got == want, () => $"{version} step {i + 1} ({op}): the model returned {Type1Script.Result(got)}, the oracle {Type1Script.Result(want)}");
                labels.Add(Classify(op, want.Value, before, rig.Host, version));
            }

            CheckTranslations(verdict, rig, c, version);
        }

        foreach (string label in labels.Where(l => l.Length > 0))
        {
            verdict.Classify(true, label);
        }

        return verdict.ToProperty();
    }

    /// <summary>Every mapped page (and the page after each mapping) translates in every domain as the oracle says.</summary>
    private static void CheckTranslations(Verdict verdict, Type1Rig rig, Type1Case c, Type1Version version)
    {
        ulong page = c.Options.MinPageSize;
        foreach (var m in rig.Oracle.Mappings)
        {
            for (UInt128 off = 0; off <= m.Size; off += page)
            {
                if (m.Iova + off > ulong.MaxValue)
                {
                    break;
                }

                ulong iova = (ulong)(m.Iova + off);
                var want = rig.Oracle.Translate(iova);
                for (int d = 0; d < rig.Container.Domains.Count; d++)
                {
                    var got = rig.Container.Domains[d].Translate(iova);
                    verdict.Expect(got == want, () => $"{version} at the end: domain{d} translates 0x{iova:x} to {got?.ToString() ?? "nothing"}, the oracle to {want?.ToString() ?? "nothing"}");
                }
            }
        }
    }

    private static string Classify(Type1Op op, DmaResult want, IReadOnlyList<Type1Mapping> before, HostMemory host, Type1Version version)
    {
        switch (op)
        {
            case MapDmaOp m when want.Succeeded:
                return host.RlimitMemlock != ulong.MaxValue && host.LockedVm == host.RlimitMemlock && !host.CapIpcLock
                    ? "MAP reaches RLIMIT_MEMLOCK exactly"
                    : m.Vaddr >= Type1Generators.VaBase + 0x60_0000 && m.Vaddr < Type1Generators.VaBase + 0x61_0000 ? "MAP of reserved pfns"
                    : "";
            case MapDmaOp m:
                bool touches = before.Any(b => b.End == m.Iova || (UInt128)m.Iova + m.Size == b.Iova);
                return want.Error switch
                {
                    Errno.EEXIST when before.Any(b => b.Iova == (ulong)((UInt128)m.Iova + m.Size - 0x1000) || b.End - 0x1000 == m.Iova) => "MAP overlaps by one page -> EEXIST",
                    Errno.EEXIST => "MAP overlaps -> EEXIST",
                    Errno.EOVERFLOW => "MAP wraps -> EOVERFLOW",
                    Errno.EINVAL when (UInt128)m.Iova + m.Size > ulong.MaxValue + (UInt128)1 || (UInt128)m.Vaddr + m.Size > ulong.MaxValue + (UInt128)1 => "MAP wraps -> EINVAL",
                    Errno.ENOSPC => "MAP past the entry limit -> ENOSPC",
                    Errno.ENOMEM => "MAP over RLIMIT_MEMLOCK -> ENOMEM",
                    Errno.EFAULT => "MAP of a vaddr hole -> EFAULT",
                    Errno.EINVAL => touches ? "" : "MAP refused -> EINVAL",
                    _ => "",
                };
            case UnmapDmaOp u when u.Flags == Type1UnmapFlags.None && want.Succeeded:
                UInt128 end = (UInt128)u.Iova + u.Size;
                bool startsInside = before.Any(b => b.Iova < u.Iova && u.Iova < b.End);
                bool endsInside = before.Any(b => b.Iova < end && end < b.End);
                return want.Size == 0 && !startsInside ? "UNMAP of an empty range -> 0"
                    : version == Type1Version.V1 && startsInside ? "v1 UNMAP starting inside -> 0"
                    : version == Type1Version.V1 && endsInside ? "v1 UNMAP ending inside removes the whole mapping"
                    : u.Iova == ulong.MaxValue - 0xfff ? "UNMAP of the last page"
                    : "UNMAP of whole mappings";
            case UnmapDmaOp u when u.Flags == Type1UnmapFlags.None && version == Type1Version.V2:
                UInt128 e = (UInt128)u.Iova + u.Size;
                return before.Any(b => b.Iova < u.Iova && u.Iova < b.End) ? "v2 UNMAP bisects at the start -> EINVAL"
                    : before.Any(b => b.Iova < e && e < b.End) ? "v2 UNMAP bisects at the end -> EINVAL"
                    : "";
            case UnmapDmaOp u when u.Flags == Type1UnmapFlags.All && want.Succeeded:
                return "UNMAP ALL";
            default:
                return "";
        }
    }
}
