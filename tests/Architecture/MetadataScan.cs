using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Verify.Architecture;

/// <summary>
/// What an assembly's metadata says it uses, read with System.Reflection.Metadata without loading it: every member of
/// another assembly it references (a call, a field, a constructor), and, for each of its own types, every type it
/// names anywhere (fields, signatures, base types, attributes, and the tokens in method bodies).
/// </summary>
public sealed class MetadataScan : IDisposable
{
    private readonly PEReader _pe;
    private readonly MetadataReader _md;

    /// <summary>Opens an assembly file.</summary>
    /// <param name="path">The .dll.</param>
    public MetadataScan(string path)
    {
        _pe = new PEReader(File.OpenRead(path));
        _md = _pe.GetMetadataReader();
    }

    /// <inheritdoc/>
    public void Dispose() => _pe.Dispose();

    /// <summary>Every member of <paramref name="assemblies"/> the assembly references, as <c>Namespace.Type::Member</c>.</summary>
    /// <param name="assemblies">Simple names of the referenced assemblies to report.</param>
    /// <returns>The members, distinct.</returns>
    public ImmutableSortedSet<string> MembersUsedFrom(params string[] assemblies)
    {
        var result = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var handle in _md.MemberReferences)
        {
            var member = _md.GetMemberReference(handle);
            if (OwnerOf(member.Parent) is { } owner && assemblies.Contains(owner.Assembly))
            {
                result.Add($"{owner.Type}::{_md.GetString(member.Name)}");
            }
        }

        return result.ToImmutable();
    }

    /// <summary>Every type of <paramref name="assemblies"/> the assembly names (in signatures, casts, type tests,
    /// typeof), as <c>Namespace.Type</c>.</summary>
    /// <param name="assemblies">Simple names of the referenced assemblies to report.</param>
    /// <returns>The types, distinct.</returns>
    public ImmutableSortedSet<string> TypesUsedFrom(params string[] assemblies)
    {
        var result = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var handle in _md.TypeReferences)
        {
            if (Resolve(handle) is { } t && assemblies.Contains(t.Assembly))
            {
                result.Add(t.Type);
            }
        }

        return result.ToImmutable();
    }

    /// <summary>For each type the assembly defines (by namespace), the namespaces of the assembly's own types it uses:
    /// its base type, interfaces, fields, method signatures, and every type, method and field token in its method bodies.</summary>
    /// <returns>Namespace -> (type -> namespaces it uses).</returns>
    public IReadOnlyList<(string Namespace, string Type, ImmutableSortedSet<string> Uses)> OwnNamespaceUses()
    {
        var result = new List<(string, string, ImmutableSortedSet<string>)>();
        foreach (var handle in _md.TypeDefinitions)
        {
            var type = _md.GetTypeDefinition(handle);
            string ns = NamespaceOf(handle);
            if (ns.Length == 0)
            {
                continue;
            }

            var uses = new HashSet<string>(StringComparer.Ordinal);
            void Add(EntityHandle h)
            {
                if (!h.IsNil)
                {
                    uses.UnionWith(OwnNamespaces(h));
                }
            }

            Add(type.BaseType);
            foreach (var i in type.GetInterfaceImplementations())
            {
                Add(_md.GetInterfaceImplementation(i).Interface);
            }

            foreach (var f in type.GetFields())
            {
                AddSignature(_md.GetBlobReader(_md.GetFieldDefinition(f).Signature), uses, SignatureKind.Field);
            }

            foreach (var m in type.GetMethods())
            {
                var method = _md.GetMethodDefinition(m);
                AddSignature(_md.GetBlobReader(method.Signature), uses, SignatureKind.Method);
                if (method.RelativeVirtualAddress != 0)
                {
                    foreach (var token in BodyTokens(_pe.GetMethodBody(method.RelativeVirtualAddress)))
                    {
                        Add(token);
                    }
                }
            }

            result.Add((ns, QualifiedName(handle), [.. uses]));
        }

        return result;
    }

    // The namespaces of the assembly's own types a handle names (following a nested type to its outermost one, a
    // member to its declaring type, a generic instantiation to its arguments).
    private IEnumerable<string> OwnNamespaces(EntityHandle handle)
    {
        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition:
                string ns = NamespaceOf((TypeDefinitionHandle)handle);
                return ns.Length == 0 ? [] : [ns];
            case HandleKind.MethodDefinition:
                return OwnNamespaces(_md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
            case HandleKind.FieldDefinition:
                return OwnNamespaces(_md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
            case HandleKind.MemberReference:
                var parent = _md.GetMemberReference((MemberReferenceHandle)handle).Parent;
                return parent.Kind is HandleKind.TypeDefinition or HandleKind.TypeSpecification ? OwnNamespaces(parent) : [];
            case HandleKind.MethodSpecification:
                var spec = _md.GetMethodSpecification((MethodSpecificationHandle)handle);
                var arguments = spec.DecodeSignature(new NamespaceProvider(this), null).SelectMany(a => a);
                return OwnNamespaces(spec.Method).Concat(arguments);
            case HandleKind.TypeSpecification:
                return DecodeSpecification((TypeSpecificationHandle)handle);
            default:
                return [];
        }
    }

    private string NamespaceOf(TypeDefinitionHandle handle)
    {
        var type = _md.GetTypeDefinition(handle);
        return type.IsNested ? NamespaceOf(type.GetDeclaringType()) : _md.GetString(type.Namespace);
    }

    private string QualifiedName(TypeDefinitionHandle handle)
    {
        var type = _md.GetTypeDefinition(handle);
        return type.IsNested ? $"{QualifiedName(type.GetDeclaringType())}+{_md.GetString(type.Name)}" : $"{_md.GetString(type.Namespace)}.{_md.GetString(type.Name)}";
    }

    // Every own namespace a signature names, decoded properly (generic arguments, arrays, pointers included).
    private void AddSignature(BlobReader blob, HashSet<string> uses, SignatureKind kind)
    {
        var decoder = new SignatureDecoder<ImmutableHashSet<string>, object?>(new NamespaceProvider(this), _md, null);
        switch (kind)
        {
            case SignatureKind.Field:
                uses.UnionWith(decoder.DecodeFieldSignature(ref blob));
                break;
            case SignatureKind.Method:
                var method = decoder.DecodeMethodSignature(ref blob);
                uses.UnionWith(method.ReturnType);
                foreach (var p in method.ParameterTypes)
                {
                    uses.UnionWith(p);
                }

                break;
            default:
                uses.UnionWith(decoder.DecodeType(ref blob));
                break;
        }
    }

    private enum SignatureKind
    {
        Field,
        Method,
        Type,
    }

    private sealed class NamespaceProvider(MetadataScan scan) : ISignatureTypeProvider<ImmutableHashSet<string>, object?>
    {
        private static readonly ImmutableHashSet<string> None = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

        public ImmutableHashSet<string> GetPrimitiveType(PrimitiveTypeCode typeCode) => None;

        public ImmutableHashSet<string> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
            scan.NamespaceOf(handle) is { Length: > 0 } ns ? None.Add(ns) : None;

        public ImmutableHashSet<string> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => None;

        public ImmutableHashSet<string> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            scan.DecodeSpecification(handle);

        public ImmutableHashSet<string> GetSZArrayType(ImmutableHashSet<string> elementType) => elementType;

        public ImmutableHashSet<string> GetArrayType(ImmutableHashSet<string> elementType, ArrayShape shape) => elementType;

        public ImmutableHashSet<string> GetByReferenceType(ImmutableHashSet<string> elementType) => elementType;

        public ImmutableHashSet<string> GetPointerType(ImmutableHashSet<string> elementType) => elementType;

        public ImmutableHashSet<string> GetPinnedType(ImmutableHashSet<string> elementType) => elementType;

        public ImmutableHashSet<string> GetGenericInstantiation(ImmutableHashSet<string> genericType, ImmutableArray<ImmutableHashSet<string>> typeArguments) =>
            typeArguments.Aggregate(genericType, (all, a) => all.Union(a));

        public ImmutableHashSet<string> GetGenericMethodParameter(object? genericContext, int index) => None;

        public ImmutableHashSet<string> GetGenericTypeParameter(object? genericContext, int index) => None;

        public ImmutableHashSet<string> GetFunctionPointerType(MethodSignature<ImmutableHashSet<string>> signature) =>
            signature.ParameterTypes.Aggregate(signature.ReturnType, (all, p) => all.Union(p));

        public ImmutableHashSet<string> GetModifiedType(ImmutableHashSet<string> modifier, ImmutableHashSet<string> unmodifiedType, bool isRequired) => unmodifiedType;
    }

    private ImmutableHashSet<string> DecodeSpecification(TypeSpecificationHandle handle)
    {
        var uses = new HashSet<string>(StringComparer.Ordinal);
        AddSignature(_md.GetBlobReader(_md.GetTypeSpecification(handle).Signature), uses, SignatureKind.Type);
        return [.. uses];
    }

    private static IEnumerable<EntityHandle> BodyTokens(MethodBodyBlock body)
    {
        var il = body.GetILReader();
        var tokens = new List<EntityHandle>();
        while (il.RemainingBytes > 0)
        {
            var code = ReadOpCode(ref il);
            switch (OperandOf(code))
            {
                case Operand.Token:
                    int token = il.ReadInt32();
                    var handle = MetadataTokens.EntityHandle(token);
                    tokens.Add(handle);
                    break;
                case Operand.None:
                    break;
                case Operand.Int8:
                    il.ReadByte();
                    break;
                case Operand.Int16:
                    il.ReadInt16();
                    break;
                case Operand.Int32:
                    il.ReadInt32();
                    break;
                case Operand.Int64:
                    il.ReadInt64();
                    break;
                case Operand.Switch:
                    int count = il.ReadInt32();
                    for (int i = 0; i < count; i++)
                    {
                        il.ReadInt32();
                    }

                    break;
            }
        }

        return tokens;
    }

    private static ILOpCode ReadOpCode(ref BlobReader il)
    {
        byte first = il.ReadByte();
        return first == 0xFE ? (ILOpCode)(0xFE00 | il.ReadByte()) : (ILOpCode)first;
    }

    private enum Operand
    {
        None,
        Int8,
        Int16,
        Int32,
        Int64,
        Token,
        Switch,
    }

    // Operand sizes of ECMA-335 III (ldstr's string token is not a metadata entity and is skipped as 32 bits).
    private static Operand OperandOf(ILOpCode code) => code switch
    {
        ILOpCode.Ldstr => Operand.Int32,
        ILOpCode.Call or ILOpCode.Callvirt or ILOpCode.Newobj or ILOpCode.Jmp or ILOpCode.Ldftn or ILOpCode.Ldvirtftn
            or ILOpCode.Ldfld or ILOpCode.Ldflda or ILOpCode.Stfld or ILOpCode.Ldsfld or ILOpCode.Ldsflda or ILOpCode.Stsfld
            or ILOpCode.Box or ILOpCode.Unbox or ILOpCode.Unbox_any or ILOpCode.Castclass or ILOpCode.Isinst or ILOpCode.Newarr
            or ILOpCode.Ldelema or ILOpCode.Ldelem or ILOpCode.Stelem or ILOpCode.Ldobj or ILOpCode.Stobj or ILOpCode.Cpobj
            or ILOpCode.Initobj or ILOpCode.Sizeof or ILOpCode.Mkrefany or ILOpCode.Refanyval or ILOpCode.Ldtoken or ILOpCode.Constrained => Operand.Token,
        ILOpCode.Calli => Operand.Int32,
        ILOpCode.Br_s or ILOpCode.Brfalse_s or ILOpCode.Brtrue_s or ILOpCode.Beq_s or ILOpCode.Bge_s or ILOpCode.Bgt_s or ILOpCode.Ble_s
            or ILOpCode.Blt_s or ILOpCode.Bne_un_s or ILOpCode.Bge_un_s or ILOpCode.Bgt_un_s or ILOpCode.Ble_un_s or ILOpCode.Blt_un_s
            or ILOpCode.Leave_s or ILOpCode.Ldc_i4_s or ILOpCode.Ldarg_s or ILOpCode.Ldarga_s or ILOpCode.Starg_s or ILOpCode.Ldloc_s
            or ILOpCode.Ldloca_s or ILOpCode.Stloc_s or ILOpCode.Unaligned => Operand.Int8,
        ILOpCode.Ldarg or ILOpCode.Ldarga or ILOpCode.Starg or ILOpCode.Ldloc or ILOpCode.Ldloca or ILOpCode.Stloc => Operand.Int16,
        ILOpCode.Br or ILOpCode.Brfalse or ILOpCode.Brtrue or ILOpCode.Beq or ILOpCode.Bge or ILOpCode.Bgt or ILOpCode.Ble or ILOpCode.Blt
            or ILOpCode.Bne_un or ILOpCode.Bge_un or ILOpCode.Bgt_un or ILOpCode.Ble_un or ILOpCode.Blt_un or ILOpCode.Leave
            or ILOpCode.Ldc_i4 or ILOpCode.Ldc_r4 => Operand.Int32,
        ILOpCode.Ldc_i8 or ILOpCode.Ldc_r8 => Operand.Int64,
        ILOpCode.Switch => Operand.Switch,
        _ => Operand.None,
    };

    private (string Assembly, string Type)? OwnerOf(EntityHandle parent) => parent.Kind switch
    {
        HandleKind.TypeReference => Resolve((TypeReferenceHandle)parent),
        HandleKind.TypeSpecification => GenericOwner((TypeSpecificationHandle)parent),
        _ => null,
    };

    // A generic instantiation's member belongs to its generic type definition.
    private (string Assembly, string Type)? GenericOwner(TypeSpecificationHandle handle)
    {
        var blob = _md.GetBlobReader(_md.GetTypeSpecification(handle).Signature);
        if ((SignatureTypeCode)blob.ReadByte() != SignatureTypeCode.GenericTypeInstance)
        {
            return null;
        }

        blob.ReadByte();
        var generic = blob.ReadTypeHandle();
        return generic.Kind == HandleKind.TypeReference ? Resolve((TypeReferenceHandle)generic) : null;
    }

    private (string Assembly, string Type)? Resolve(TypeReferenceHandle handle)
    {
        var type = _md.GetTypeReference(handle);
        string name = $"{_md.GetString(type.Namespace)}.{_md.GetString(type.Name)}";
        switch (type.ResolutionScope.Kind)
        {
            case HandleKind.AssemblyReference:
                return (_md.GetString(_md.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope).Name), name);
            case HandleKind.TypeReference:
                var outer = Resolve((TypeReferenceHandle)type.ResolutionScope);
                return outer is { } o ? (o.Assembly, $"{o.Type}+{_md.GetString(type.Name)}") : null;
            default:
                return null;
        }
    }
}
