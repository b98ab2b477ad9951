/**
 * The etcd Auth service (`etcdserverpb.Auth`): enable/disable/status, Authenticate, and user
 * and role management. Each handler reads like etcd's: decode, check who may call it
 * (`Authorizer`: root for management, yourself for UserGet, a holder for RoleGet; nobody while
 * auth is off, as in etcd), call the auth store, answer with a header at the current store
 * revision (auth changes never advance it).
 *
 * @module
 */

import { AuthError, InvalidRequestError } from "../errors.ts";
import { type KeyPermission, type PermissionType } from "../auth/mod.ts";
import { bytesToKey, keyToBytes } from "../mvcc/mod.ts";
import type { ServiceContext } from "./context.ts";
import { decode } from "./decode.ts";
import type { CallContext, Method } from "./grpc.ts";
import {
  decodeAuthDisableRequest,
  decodeAuthEnableRequest,
  decodeAuthenticateRequest,
  decodeAuthRoleAddRequest,
  decodeAuthRoleDeleteRequest,
  decodeAuthRoleGetRequest,
  decodeAuthRoleGrantPermissionRequest,
  decodeAuthRoleListRequest,
  decodeAuthRoleRevokePermissionRequest,
  decodeAuthStatusRequest,
  decodeAuthUserAddRequest,
  decodeAuthUserChangePasswordRequest,
  decodeAuthUserDeleteRequest,
  decodeAuthUserGetRequest,
  decodeAuthUserGrantRoleRequest,
  decodeAuthUserListRequest,
  decodeAuthUserRevokeRoleRequest,
  encodeAuthenticateResponse,
  encodeAuthRoleGetResponse,
  encodeAuthRoleListResponse,
  encodeAuthStatusResponse,
  encodeAuthUserGetResponse,
  encodeAuthUserListResponse,
  encodeHeaderResponse,
  type Permission,
  PermissionType as PbPermissionType,
} from "./pb/mod.ts";

const TYPE_FROM_PB: Record<number, PermissionType> = {
  [PbPermissionType.READ]: "read",
  [PbPermissionType.WRITE]: "write",
  [PbPermissionType.READWRITE]: "readwrite",
};
const TYPE_TO_PB: Record<PermissionType, number> = {
  read: PbPermissionType.READ,
  write: PbPermissionType.WRITE,
  readwrite: PbPermissionType.READWRITE,
};

function permissionFromPb(p: Permission | undefined): KeyPermission {
  if (!p) throw new AuthError("permission-not-given", "permission not given");
  const type = TYPE_FROM_PB[p.permType];
  if (!type) {
    throw new InvalidRequestError(
      "invalid-argument",
      `etcdserver: invalid permission type ${p.permType}`,
    );
  }
  return { type, key: bytesToKey(p.key), rangeEnd: bytesToKey(p.rangeEnd) };
}

function permissionToPb(p: KeyPermission): Permission {
  return { permType: TYPE_TO_PB[p.type], key: keyToBytes(p.key), rangeEnd: keyToBytes(p.rangeEnd) };
}

/** etcd 3.5 clients may send a bcrypt hash instead of the password; T4 hashes with scrypt. */
function refuseHashed(hashedPassword: string): void {
  if (hashedPassword !== "") {
    throw new InvalidRequestError(
      "invalid-argument",
      "etcdserver: pre-hashed passwords are not supported by T4; send the password itself",
    );
  }
}

/** The Auth service's methods. */
export function authService(s: ServiceContext): Record<string, Method> {
  const { auth, authz } = s;
  const done = () => encodeHeaderResponse({ header: s.currentHeader() });
  /** A unary method: the `hasleader` rule, then `fn`. */
  const unary = (
    fn: (bytes: Uint8Array, ctx: CallContext) => Uint8Array | Promise<Uint8Array>,
  ): Method => ({
    kind: "unary",
    handler(bytes, ctx) {
      s.checkLeader(ctx);
      return fn(bytes, ctx);
    },
  });
  /** A management method that needs the root role and answers with a header only. */
  const admin = (fn: (bytes: Uint8Array) => Promise<void>): Method =>
    unary(async (bytes, ctx) => {
      authz.admin(ctx);
      await fn(bytes);
      return done();
    });

  return {
    AuthEnable: admin(async (bytes) => {
      decode(bytes, decodeAuthEnableRequest);
      await auth.enable();
    }),
    AuthDisable: admin(async (bytes) => {
      decode(bytes, decodeAuthDisableRequest);
      await auth.disable();
    }),
    AuthStatus: unary((bytes) => {
      decode(bytes, decodeAuthStatusRequest);
      return encodeAuthStatusResponse({
        header: s.currentHeader(),
        enabled: auth.enabled,
        authRevision: auth.state.revision,
      });
    }),
    Authenticate: unary(async (bytes) => {
      const req = decode(bytes, decodeAuthenticateRequest);
      const token = await auth.authenticate(req.name, req.password);
      return encodeAuthenticateResponse({ header: s.currentHeader(), token });
    }),
    UserAdd: admin(async (bytes) => {
      const req = decode(bytes, decodeAuthUserAddRequest);
      refuseHashed(req.hashedPassword);
      await auth.addUser(req.name, req.password, req.options?.noPassword ?? false);
    }),
    UserGet: unary((bytes, ctx) => {
      const req = decode(bytes, decodeAuthUserGetRequest);
      authz.adminOrSelf(ctx, req.name);
      return encodeAuthUserGetResponse({
        header: s.currentHeader(),
        roles: auth.getUser(req.name),
      });
    }),
    UserList: unary((bytes, ctx) => {
      decode(bytes, decodeAuthUserListRequest);
      authz.admin(ctx);
      return encodeAuthUserListResponse({ header: s.currentHeader(), users: auth.listUsers() });
    }),
    UserDelete: admin(async (bytes) => {
      await auth.deleteUser(decode(bytes, decodeAuthUserDeleteRequest).name);
    }),
    UserChangePassword: admin(async (bytes) => {
      const req = decode(bytes, decodeAuthUserChangePasswordRequest);
      refuseHashed(req.hashedPassword);
      await auth.changePassword(req.name, req.password);
    }),
    UserGrantRole: admin(async (bytes) => {
      const req = decode(bytes, decodeAuthUserGrantRoleRequest);
      await auth.grantRole(req.user, req.role);
    }),
    UserRevokeRole: admin(async (bytes) => {
      const req = decode(bytes, decodeAuthUserRevokeRoleRequest);
      await auth.revokeRole(req.name, req.role);
    }),
    RoleAdd: admin(async (bytes) => {
      await auth.addRole(decode(bytes, decodeAuthRoleAddRequest).name);
    }),
    RoleGet: unary((bytes, ctx) => {
      const req = decode(bytes, decodeAuthRoleGetRequest);
      authz.adminOrHolder(ctx, req.role);
      return encodeAuthRoleGetResponse({
        header: s.currentHeader(),
        perm: auth.getRole(req.role).map(permissionToPb),
      });
    }),
    RoleList: unary((bytes, ctx) => {
      decode(bytes, decodeAuthRoleListRequest);
      authz.admin(ctx);
      return encodeAuthRoleListResponse({ header: s.currentHeader(), roles: auth.listRoles() });
    }),
    RoleDelete: admin(async (bytes) => {
      await auth.deleteRole(decode(bytes, decodeAuthRoleDeleteRequest).role);
    }),
    RoleGrantPermission: admin(async (bytes) => {
      const req = decode(bytes, decodeAuthRoleGrantPermissionRequest);
      await auth.grantPermission(req.name, permissionFromPb(req.perm));
    }),
    RoleRevokePermission: admin(async (bytes) => {
      const req = decode(bytes, decodeAuthRoleRevokePermissionRequest);
      await auth.revokePermission(req.role, {
        key: bytesToKey(req.key),
        rangeEnd: bytesToKey(req.rangeEnd),
      });
    }),
  };
}
