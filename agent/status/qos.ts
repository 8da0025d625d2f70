// The pod's QoS class lives in qos/ (below status, shared with the cgroups, OOM scores and
// eviction); re-exported here for the status generator and the printers.
export { podQosClass, type QosClass } from '../qos/qos-class.js';
