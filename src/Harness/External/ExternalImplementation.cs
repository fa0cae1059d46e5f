using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Verify.Harness.Implementations;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;

namespace Verify.Harness.External;

/// <summary>
/// An implementation in any language, run as a child process speaking docs/protocol.md, as an
/// <see cref="ImplementationUnderTest"/>: the interfaces its hello names replace the library's (simplify, diff and
/// replay; one listener per container; the page table behind the core), and every scenario begins with a
/// <c>reset</c>. <c>verify check --impl exec:CMD</c> and <c>verify replay --impl exec:CMD</c> run through it.
/// </summary>
public sealed class ExternalImplementation : IDisposable
{
    private readonly ImplementationProcess _process;
    private int _nextListener = 1;
    private int _nextDomain = 1;

    private ExternalImplementation(ImplementationProcess process, ImplementationUnderTest implementation)
    {
        _process = process;
        Implementation = implementation;
    }

    /// <summary>The prefix of an <c>--impl</c> value naming a command.</summary>
    public const string ExecPrefix = "exec:";

    /// <summary>The implementation the suites run against.</summary>
    public ImplementationUnderTest Implementation { get; private set; }

    /// <summary>The child.</summary>
    public ImplementationProcess Process => _process;

    /// <summary>What the child calls itself in its hello (its <c>name</c>), or the command.</summary>
    public string Name { get; private set; } = "";

    /// <summary>Starts <paramref name="command"/>, reads its hello and builds the implementation it offers.</summary>
    /// <param name="command">A shell command line (what follows <c>exec:</c>).</param>
    /// <param name="timeout">How long the hello and each answer may take.</param>
    /// <returns>The running implementation.</returns>
    /// <exception cref="ImplementationProcessException">It did not start or its hello is not valid.</exception>
    public static ExternalImplementation Start(string command, TimeSpan timeout)
    {
        var process = ImplementationProcess.Start(command, timeout);
        try
        {
            var external = new ExternalImplementation(process, ImplementationUnderTest.Model);
            external.Implementation = external.Build(process.Hello);
            return external;
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _process.Dispose();

    private ImplementationUnderTest Build(JsonObject hello)
    {
        string name = $"{ExecPrefix}{_process.Command}";
        Name = hello["name"] is JsonValue n && n.TryGetValue(out string? said) && said.Length > 0 ? said : _process.Command;
        JsonArray offered;
        PageTableImplementation? table;
        try
        {
            offered = ProtocolCodec.ReadArray(hello, "implements", "$");
            table = offered.Any(i => i is JsonValue v && v.TryGetValue(out string? s) && s == "page-table") ? ReadPageTable(hello) : null;
        }
        catch (ProtocolValueException error)
        {
            throw Refuse($"said a hello with {error.Message}: {ProtocolCodec.Shown(hello)}");
        }

        var implementation = ImplementationUnderTest.Named(name) with
        {
            BeginScenario = Reset,
            Abandoned = _process.Abandoned,
        };
        foreach (var item in offered)
        {
            string? face = item is JsonValue v && v.TryGetValue(out string? s) ? s : null;
            implementation = face switch
            {
                "flatview" => implementation.WithMemoryMap(Simplify, Diff, Replay),
                "listener" => implementation.WithListener(traits => new ExternalContainerListener(this, traits, _nextListener++)),
                "page-table" => implementation.WithPageTable(table!),
                _ => throw Refuse($"names interface {ProtocolCodec.Shown(item)} in its hello; the interfaces are flatview, listener and page-table"),
            };
        }

        if (implementation.Implements == ImplementationInterfaces.None)
        {
            throw Refuse("implements nothing (its hello's \"implements\" is empty)");
        }

        return implementation;
    }

    private PageTableImplementation ReadPageTable(JsonObject hello)
    {
        var claim = ProtocolCodec.ReadObject(hello, "page_table", "$");
        string formatName = ProtocolCodec.ReadString(claim, "format", "$.page_table");
        var format = PageTableFormat.All.FirstOrDefault(f => f.Name == formatName)
            ?? throw new ProtocolValueException("$.page_table.format", $"one of {string.Join(", ", PageTableFormat.All.Select(f => f.Name))}, got \"{formatName}\"");
        var split = ProtocolCodec.ReadString(claim, "split", "$.page_table") switch
        {
            "split" => SplitPolicy.Split,
            "refuse" => SplitPolicy.Refuse,
            "whole-leaf" => SplitPolicy.WholeLeaf,
            var other => throw new ProtocolValueException("$.page_table.split", $"split, refuse or whole-leaf, got \"{other}\""),
        };
        var liveLeaf = ProtocolCodec.ReadString(claim, "live_leaf", "$.page_table") switch
        {
            "eexist" => LiveLeafPolicy.Eexist,
            "eaddrinuse" => LiveLeafPolicy.Eaddrinuse,
            "keep-old" => LiveLeafPolicy.KeepOld,
            "overwrite" => LiveLeafPolicy.Overwrite,
            var other => throw new ProtocolValueException("$.page_table.live_leaf", $"eexist, eaddrinuse, keep-old or overwrite, got \"{other}\""),
        };
        var subTable = !claim.ContainsKey("sub_table") ? SubTablePolicy.DestroySubTable : ProtocolCodec.ReadString(claim, "sub_table", "$.page_table") switch
        {
            "destroy" => SubTablePolicy.DestroySubTable,
            "empty-only" => SubTablePolicy.EmptyOnly,
            var other => throw new ProtocolValueException("$.page_table.sub_table", $"destroy or empty-only, got \"{other}\""),
        };
        return new PageTableImplementation(format, split, liveLeaf, f => new ExternalDomain(this, f, _nextDomain++)) { SubTable = subTable };
    }

    private ImplementationProcessException Refuse(string what)
    {
        _process.Dispose();
        return new ImplementationProcessException($"implementation '{_process.Command}' {what} (docs/protocol.md)");
    }

    private void Reset()
    {
        _nextListener = 1;
        _nextDomain = 1;
        _process.Call(new JsonObject { ["call"] = "reset" });
    }

    private FlatView Simplify(FlatView view)
    {
        var answer = _process.Call(new JsonObject { ["call"] = "simplify", ["view"] = ProtocolCodec.View(view) });
        return FlatView.Create(_process.Read(answer, a => ProtocolCodec.ReadSections(a, "view", "$")));
    }

    private ImmutableArray<TopologyEvent> Diff(FlatView old, FlatView @new)
    {
        var answer = _process.Call(new JsonObject { ["call"] = "diff", ["old"] = ProtocolCodec.View(old), ["new"] = ProtocolCodec.View(@new) });
        return _process.Read(answer, a => ProtocolCodec.ReadEvents(a, "$"));
    }

    private ImmutableArray<TopologyEvent> Replay(FlatView view)
    {
        var answer = _process.Call(new JsonObject { ["call"] = "replay", ["view"] = ProtocolCodec.View(view) });
        return _process.Read(answer, a => ProtocolCodec.ReadEvents(a, "$"));
    }

    /// <summary>One listener of the child, serving one container.</summary>
    private sealed class ExternalContainerListener : IContainerListener
    {
        private readonly ExternalImplementation _owner;
        private readonly int _id;

        public ExternalContainerListener(ExternalImplementation owner, ContainerTraits traits, int id)
        {
            _owner = owner;
            _id = id;
            owner._process.Call(new JsonObject
            {
                ["call"] = "listener_create",
                ["listener"] = id,
                ["host_page_size"] = ProtocolCodec.Hex(traits.Options.HostPageSize),
                ["iommu_min_page"] = ProtocolCodec.Hex(traits.Options.IommuMinPageSize),
                ["unmap_bisects"] = traits.Backend.UnmapMayBisect,
                ["unmap_all"] = traits.Backend.SupportsUnmapAll,
                ["entry_limit"] = traits.Backend.EntryLimit,
                ["protected"] = new JsonArray([.. traits.Options.ProtectedRegions.Order(StringComparer.Ordinal).Select(r => (JsonNode)r)]),
            });
        }

        public ContainerPlan Commit(IReadOnlyList<TopologyEvent> callbacks)
        {
            var events = new JsonArray { new JsonObject { ["event"] = "begin" } };
            foreach (var e in callbacks)
            {
                events.Add(ProtocolCodec.Event(e));
            }

            events.Add(new JsonObject { ["event"] = "commit" });
            var answer = _owner._process.Call(new JsonObject { ["call"] = "transaction", ["listener"] = _id, ["events"] = events });
            return _owner._process.Read(answer, a => new ContainerPlan(ProtocolCodec.ReadCalls(a, "$"), a.ContainsKey("refused") && ProtocolCodec.ReadBool(a, "refused", "$")));
        }

        public void Dispose() => _owner._process.Call(new JsonObject { ["call"] = "listener_destroy", ["listener"] = _id });
    }

    /// <summary>One domain of the child.</summary>
    private sealed class ExternalDomain : IIommuDomain
    {
        private readonly ExternalImplementation _owner;
        private readonly int _id;

        public ExternalDomain(ExternalImplementation owner, PageTableFormat format, int id)
        {
            _owner = owner;
            _id = id;
            owner._process.Call(new JsonObject
            {
                ["call"] = "domain_alloc",
                ["domain"] = id,
                ["format"] = format.Name,
                ["pgsize_bitmap"] = ProtocolCodec.Hex(format.PageSizeBitmap),
                ["ias"] = format.AddressBits,
            });
        }

        private ImplementationProcess Process => _owner._process;

        public PagesMapped MapPages(ulong iova, ulong paddr, ulong pageSize, ulong pageCount, Protection protection)
        {
            var answer = Process.Call(new JsonObject
            {
                ["call"] = "map_pages",
                ["domain"] = _id,
                ["iova"] = ProtocolCodec.Hex(iova),
                ["paddr"] = ProtocolCodec.Hex(paddr),
                ["pgsize"] = ProtocolCodec.Hex(pageSize),
                ["pgcount"] = ProtocolCodec.Hex(pageCount),
                ["prot"] = ProtocolCodec.Rights(protection),
            });
            return Process.Read(answer, a => new PagesMapped((Errno)ProtocolCodec.ReadInt(a, "errno", "$", 0, 4095), ProtocolCodec.ReadHex(a, "mapped", "$"))
            {
                Flushed = a["flush"] is null ? null : ProtocolCodec.ReadRange(ProtocolCodec.ReadObject(a, "flush", "$"), "$.flush"),
            });
        }

        public PagesUnmapped UnmapPages(ulong iova, ulong pageSize, ulong pageCount)
        {
            var answer = Process.Call(new JsonObject
            {
                ["call"] = "unmap_pages",
                ["domain"] = _id,
                ["iova"] = ProtocolCodec.Hex(iova),
                ["pgsize"] = ProtocolCodec.Hex(pageSize),
                ["pgcount"] = ProtocolCodec.Hex(pageCount),
            });
            return Process.Read(answer, a => new PagesUnmapped(
                ProtocolCodec.ReadHex(a, "unmapped", "$"),
                a["gather"] is null ? null : ProtocolCodec.ReadRange(ProtocolCodec.ReadObject(a, "gather", "$"), "$.gather")));
        }

        public Translation? IovaToPhys(ulong iova)
        {
            var answer = Process.Call(new JsonObject { ["call"] = "iova_to_phys", ["domain"] = _id, ["iova"] = ProtocolCodec.Hex(iova) });
            return Process.Read(answer, a => a["phys"] is null ? (Translation?)null : new Translation(ProtocolCodec.ReadHex(a, "phys", "$"), ProtocolCodec.ReadRights(a, "prot", "$")));
        }

        public void IotlbSync(AddressRange gathered) =>
            Process.Call(new JsonObject { ["call"] = "iotlb_sync", ["domain"] = _id, ["gather"] = ProtocolCodec.Range(gathered) });

    }
}
