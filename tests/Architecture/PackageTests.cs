using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Verify.Architecture;

/// <summary>The packages ship as one: one version, publishable ids, a package README of their own, symbols.</summary>
public partial class PackageTests
{
    private static readonly string Root = FindRoot();

    [Fact]
    public void LocalToolManifest_PinsTheVersionTheBuildPacks()
    {
        string version = (string)XDocument.Load(Path.Combine(Root, "Directory.Build.props")).Descendants("Version").Single();
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, ".config", "dotnet-tools.json")))!;

        Assert.Equal(version, (string)manifest["tools"]!["dmaverify.tool"]!["version"]!);
        Assert.Equal("verify", (string)manifest["tools"]!["dmaverify.tool"]!["commands"]![0]!);
    }

    [Theory]
    [InlineData("src/MemoryMap/MemoryMap.csproj")]
    [InlineData("src/Vfio/Vfio.csproj")]
    [InlineData("src/IommuModel/IommuModel.csproj")]
    [InlineData("src/Oracle/Oracle.csproj")]
    [InlineData("src/Qemu/Qemu.csproj")]
    [InlineData("src/Harness/Harness.csproj")]
    [InlineData("src/Cli/Cli.csproj")]
    public void PackableProject_UsesTheSharedPrefixVersionAndPackageReadme(string project)
    {
        var xml = XDocument.Load(Path.Combine(Root, project));

        Assert.StartsWith("$(PackagePrefix).", (string)xml.Descendants("PackageId").Single(), StringComparison.Ordinal);
        Assert.Empty(xml.Descendants("Version"));
        Assert.Contains(xml.Descendants("None"), n => (string?)n.Attribute("Include") == "../../docs/package/README.md");
    }

    [Fact]
    public void SharedProps_PrefixIsNotTheReservedVerifyPrefixAndSymbolsAreOn()
    {
        var props = XDocument.Load(Path.Combine(Root, "Directory.Build.props"));

        Assert.NotEqual("Verify", (string)props.Descendants("PackagePrefix").Single());
        Assert.Equal("true", (string)props.Descendants("IncludeSymbols").Single());
        Assert.Equal("snupkg", (string)props.Descendants("SymbolPackageFormat").Single());
    }

    [Fact]
    public void PackageReadme_HasNoRepositoryRelativeLinks()
    {
        // nuget.org shows the README without the repository around it: a relative link would lead nowhere.
        string readme = File.ReadAllText(Path.Combine(Root, "docs", "package", "README.md"));

        Assert.DoesNotContain(MarkdownLink().Matches(readme), m => !m.Groups[1].Value.StartsWith("https://", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\]\(([^)]*)\)")]
    private static partial Regex MarkdownLink();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Verify.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Verify.sln not found above " + AppContext.BaseDirectory);
    }
}
