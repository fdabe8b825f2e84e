#!/usr/bin/env python3
"""A stock gRPC client (Debian's python3-grpcio) that knows nothing about hakmem discovers
AdminService through server reflection, builds its messages from the descriptors the server
sends, and calls GetRoute; it also checks the standard health service."""
import argparse
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from admin_proc import AdminProcess  # noqa: E402

SERVER = None
SERVICE = "hakmem.admin.v1.AdminService"


class ReflectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import grpc
        cls.server = AdminProcess(SERVER)
        cls.channel = grpc.insecure_channel(cls.server.addr)
        grpc.channel_ready_future(cls.channel).result(timeout=30)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        assert cls.server.stop() == 0

    def reflect(self, **request):
        import reflection_pb2
        import reflection_pb2_grpc
        stub = reflection_pb2_grpc.ServerReflectionStub(self.channel)
        req = reflection_pb2.ServerReflectionRequest(**request)
        responses = list(stub.ServerReflectionInfo(iter([req]), timeout=30))
        self.assertEqual(len(responses), 1)
        self.assertFalse(responses[0].HasField("error_response"), responses[0].error_response)
        return responses[0]

    def test_discover_and_call_get_route(self):
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

        listed = self.reflect(list_services="").list_services_response.service
        self.assertIn(SERVICE, [s.name for s in listed])

        files = self.reflect(file_containing_symbol=SERVICE).file_descriptor_response
        protos = [descriptor_pb2.FileDescriptorProto.FromString(raw)
                  for raw in files.file_descriptor_proto]
        pool = descriptor_pool.DescriptorPool()
        # Add dependencies before the files that import them.
        while protos:
            ready = [p for p in protos if all(_has_file(pool, d) for d in p.dependency)]
            self.assertTrue(ready, "unresolvable imports in the reflected descriptors")
            for p in ready:
                pool.Add(p)
                protos.remove(p)

        method = pool.FindServiceByName(SERVICE).methods_by_name["GetRoute"]
        factory = message_factory.MessageFactory(pool)
        request_class = factory.GetPrototype(method.input_type)
        response_class = factory.GetPrototype(method.output_type)
        get_route = self.channel.unary_unary(
            f"/{SERVICE}/GetRoute", request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString)
        reply = get_route(request_class(), timeout=30)
        self.assertEqual(reply.name, "P")  # the allocator's default route
        route_enum = method.output_type.fields_by_name["route"].enum_type
        self.assertEqual(route_enum.values_by_number[reply.route].name, "ROUTE_P")

    def test_health(self):
        import health_pb2
        import health_pb2_grpc
        stub = health_pb2_grpc.HealthStub(self.channel)
        for service in ("", SERVICE):
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=30)
            self.assertEqual(reply.status, health_pb2.HealthCheckResponse.SERVING, service)


def _has_file(pool, name):
    try:
        pool.FindFileByName(name)
        return True
    except KeyError:
        return False


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--stubs", required=True, help="directory of the generated *_pb2.py")
    args, rest = parser.parse_known_args()
    SERVER = args.server
    sys.path.insert(0, args.stubs)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
